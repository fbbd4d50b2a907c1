/** The audit configuration section: defaults, the transport's default port, unknown fields refused with the path. */
import { ConfigError, parseConfig } from '../../src/config/load';

describe('audit configuration', () => {
  it('is on by default with no export; the export port defaults by transport', () => {
    expect(parseConfig({}).audit).toEqual({ anchorEvery: 100, anchorIntervalSeconds: 60 });
    expect(parseConfig({ audit: { export: { transport: 'tls', host: 'arr.example' } } }).audit.export).toMatchObject({ transport: 'tls', host: 'arr.example', port: 6514 });
    expect(parseConfig({ audit: { export: { transport: 'udp', host: 'arr.example' } } }).audit.export?.port).toBe(514);
  });

  it('refuses unknown fields and a bad transport, naming the setting', () => {
    expect(() => parseConfig({ audit: { export: { transport: 'tcp', host: 'x' } } } as never)).toThrow(/audit\.export\.transport/);
    expect(() => parseConfig({ audit: { anchorEvry: 5 } } as never)).toThrow(ConfigError);
    expect(() => parseConfig({ audit: { export: { transport: 'tls', host: 'x', tls: { certFile: 'a.pem' } } } })).toThrow(/certFile and keyFile go together/);
  });
});
