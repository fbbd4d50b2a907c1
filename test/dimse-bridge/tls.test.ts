/**
 * DICOM TLS (dimse.tls, destinations[].tls) with real DCMTK peers and certificates made by openssl for a site CA:
 * echoscu/storescu with a site-signed client certificate reach the SCP on its TLS port; a certificate the site CA
 * did not sign, or plain DICOM, never gets to association negotiation. Our SCU stores to `storescp +tls` that
 * requires a client certificate, and refuses a peer whose certificate it cannot verify.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import { startDimseService, peerOf, type DimseDestination } from '../../src/dimse-bridge/service';
import type { DimseScp } from '../../src/dimse-bridge/scp';
import { cstore, echo, DimseScuError } from '../../src/dimse-bridge/scu';
import { InstanceStore } from '../../src/store/store';
import { runTool, startTool } from '../helpers/dcmtk';
import { freePort, waitFor } from '../helpers/ports';
import { writeMrStudy } from './helpers/mr-study';

const dir = mkdtempSync(join(tmpdir(), 'dicom-tls-'));
const p = (f: string): string => join(dir, f);
const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });

/** RSA 2048 (every DCMTK TLS profile offers RSA suites); `ca` signs it unless null (self-signed). */
function makeCert(name: string, cn: string, ca: string | null, san?: string): void {
  if (!ca) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.pem`), '-days', '2', '-subj', `/CN=${cn}`);
    return;
  }
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`);
  const ext = p(`${name}.ext`);
  execFileSync('sh', ['-c', `printf '%s\\n' '${san ? `subjectAltName=${san}` : 'basicConstraints=CA:FALSE'}' > ${ext}`]);
  openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${ca}.pem`), '-CAkey', p(`${ca}.key`), '-CAcreateserial', '-out', p(`${name}.pem`), '-days', '2', '-extfile', ext);
}

let store: InstanceStore;
let scp: DimseScp;
let config: Config;
let storescp: ChildProcess;
let storescpPort: number;

beforeAll(async () => {
  makeCert('ca', 'Site DICOM CA', null);
  makeCert('node', '127.0.0.1', 'ca', 'IP:127.0.0.1');
  makeCert('modality', 'MRI-3T-ROOM2', 'ca');
  makeCert('storescp', '127.0.0.1', 'ca', 'IP:127.0.0.1');
  makeCert('rogue', 'rogue', null);
  storescpPort = await freePort();
  mkdirSync(p('received'));
  // storescp requires and verifies our client certificate (-rc is its default).
  storescp = startTool('storescp', ['+tls', p('storescp.key'), p('storescp.pem'), '+cf', p('ca.pem'), '-aet', 'STORESCP', '-od', p('received'), String(storescpPort)]);
  config = parseConfig({
    node: { dataDir: p('var') },
    dimse: {
      host: '127.0.0.1',
      port: 0,
      aeTitle: 'NEUROONC',
      allowedCallingAeTitles: ['STORESCU', 'ECHOSCU'],
      tls: { port: await freePort(), certFile: p('node.pem'), keyFile: p('node.key'), caFile: p('ca.pem'), alsoPlain: false },
    },
    destinations: [
      { name: 'tls-pacs', type: 'dimse', host: '127.0.0.1', port: storescpPort, aeTitle: 'STORESCP', tls: { caFile: p('ca.pem'), certFile: p('node.pem'), keyFile: p('node.key') } },
      { name: 'no-client-cert', type: 'dimse', host: '127.0.0.1', port: storescpPort, aeTitle: 'STORESCP', tls: { caFile: p('ca.pem') } },
      { name: 'wrong-ca', type: 'dimse', host: '127.0.0.1', port: storescpPort, aeTitle: 'STORESCP', tls: { caFile: p('rogue.pem'), certFile: p('node.pem'), keyFile: p('node.key') } },
    ],
  });
  store = await InstanceStore.open({ dataDir: config.node.dataDir, acceptedSopClasses: config.node.acceptedSopClasses });
  scp = (await startDimseService(config, store))!;
  const dest = (n: string) => peerOf(config, config.destinations.find((d) => d.name === n) as DimseDestination);
  await waitFor(async () => (await echo(dest('tls-pacs')).then(() => true, () => false)), 15000, 'storescp +tls');
}, 60_000);

afterAll(async () => {
  storescp?.kill('SIGKILL');
  await scp?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const tlsArgs = (who: string) => ['+tls', p(`${who}.key`), p(`${who}.pem`), '+cf', p('ca.pem')];

describe('SCP on the DICOM TLS port', () => {
  it('listens on TLS only when alsoPlain is false', () => {
    expect(scp.tlsPort).toBe(config.dimse.tls!.port);
    expect(scp.port).toBe(scp.tlsPort);
  });

  it('echoscu and storescu with a site-signed client certificate: echo answered, study stored', async () => {
    const e = await runTool('echoscu', [...tlsArgs('modality'), '-aet', 'ECHOSCU', '-aec', 'NEUROONC', '127.0.0.1', String(scp.tlsPort)]);
    expect(e.code).toBe(0);
    const files = writeMrStudy(p('study'), { series: 2, slices: 3 });
    const s = await runTool('storescu', [...tlsArgs('modality'), '-aet', 'STORESCU', '-aec', 'NEUROONC', '127.0.0.1', String(scp.tlsPort), ...files.map((f) => f.path)]);
    expect(s.code).toBe(0);
    const stored = store.listInstances({ studyInstanceUid: files[0]!.studyUid });
    expect(stored.map((r) => r.sopInstanceUid).sort()).toEqual(files.map((f) => f.sopInstanceUid).sort());
  });

  it('a certificate the site CA did not sign, no certificate, or plain DICOM: refused before any association', async () => {
    const files = writeMrStudy(p('refused'), { series: 1, slices: 2 });
    const rogue = await runTool('storescu', [...tlsArgs('rogue'), '-aet', 'STORESCU', '-aec', 'NEUROONC', '127.0.0.1', String(scp.tlsPort), ...files.map((f) => f.path)]);
    expect(rogue.code).not.toBe(0);
    expect(rogue.stderr).toMatch(/Association Request Failed/);
    const anonymous = await runTool('echoscu', ['+tla', '+cf', p('ca.pem'), '-aet', 'ECHOSCU', '-aec', 'NEUROONC', '127.0.0.1', String(scp.tlsPort)]);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toMatch(/Association Request Failed/);
    const plain = await runTool('echoscu', ['-to', '5', '-ta', '5', '-aet', 'ECHOSCU', '-aec', 'NEUROONC', '127.0.0.1', String(scp.tlsPort)]);
    expect(plain.code).not.toBe(0);
    expect(store.listInstances({ studyInstanceUid: files[0]!.studyUid })).toHaveLength(0);
  });
});

describe('SCU to a DICOM TLS peer (destinations[].tls)', () => {
  const dest = (n: string) => peerOf(config, config.destinations.find((d) => d.name === n) as DimseDestination);

  it('stores to storescp +tls with our client certificate, the peer verified against caFile', async () => {
    const files = writeMrStudy(p('out'), { series: 1, slices: 3 });
    const results = await cstore(dest('tls-pacs'), files.map((f) => ({ path: f.path })));
    expect(results.every((r) => r.stored)).toBe(true);
    await waitFor(async () => readdirSync(p('received')).length >= 3, 10000, 'files in storescp');
    expect(readdirSync(p('received')).length).toBeGreaterThanOrEqual(3);
  });

  it('fails clearly when the peer wants a client certificate we lack, or its certificate is not from our CA', async () => {
    const noCert = await echo(dest('no-client-cert')).catch((e: unknown) => e);
    expect(noCert).toBeInstanceOf(DimseScuError);
    expect((noCert as DimseScuError).message).toMatch(/certificate required/);
    expect((noCert as DimseScuError).message).toMatch(/no-client-cert \(STORESCP@127\.0\.0\.1:\d+, TLS\)/);
    const wrongCa = await echo(dest('wrong-ca')).catch((e: unknown) => e);
    expect(wrongCa).toBeInstanceOf(DimseScuError);
    expect((wrongCa as DimseScuError).message).toMatch(/wrong-ca .*TLS.*(self-signed certificate|unable to verify)/);
  });

  it('configuration: a destination key without its certificate, or an unreadable CA file, is named', () => {
    expect(() => parseConfig({ destinations: [{ name: 'x', type: 'dimse', host: 'h', port: 1, aeTitle: 'A', tls: { keyFile: 'k' } }] })).toThrow(/certFile and keyFile go together/);
    expect(() => peerOf(config, { name: 'y', type: 'dimse', host: 'h', port: 1, aeTitle: 'A', tls: { caFile: p('missing.pem') } })).toThrow(/destinations\.y\.tls\.caFile .*missing\.pem cannot be read: ENOENT/);
    expect(() => parseConfig({ dimse: { tls: { certFile: 'c', keyFile: 'k', clientCertificates: 'require' } } })).toThrow(/dimse\.tls\.caFile: clientCertificates "require" needs caFile/);
  });
});
