/**
 * A real syslog daemon (Debian's rsyslog) as an audit record repository on loopback: its own configuration,
 * unprivileged ports, UDP (RFC 5426) and TLS (RFC 5425, rsyslog's OpenSSL driver) inputs, each writing the
 * message bodies it receives to its own file, one per line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Rsyslog {
  udpFile: string;
  tlsFile: string;
  /** Message bodies received so far (BOM removed). */
  received(which: 'udp' | 'tls'): string[];
  stop(): Promise<void>;
}

export function startRsyslog(o: { dir: string; udpPort: number; tlsPort: number; certFile: string; keyFile: string }): Rsyslog {
  const udpFile = join(o.dir, 'udp.log');
  const tlsFile = join(o.dir, 'tls.log');
  const conf = join(o.dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${o.dir}" maxMessageSize="64k"
       defaultNetstreamDriver="ossl" defaultNetstreamDriverCAFile="${o.certFile}"
       defaultNetstreamDriverCertFile="${o.certFile}" defaultNetstreamDriverKeyFile="${o.keyFile}")
module(load="imudp")
module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="body" type="string" string="%msg%\\n")
ruleset(name="udp") { action(type="omfile" file="${udpFile}" template="body") }
ruleset(name="tls") { action(type="omfile" file="${tlsFile}" template="body") }
input(type="imudp" address="127.0.0.1" port="${o.udpPort}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="${o.tlsPort}" ruleset="tls")
`,
  );
  const child: ChildProcess = spawn('/usr/sbin/rsyslogd', ['-n', '-f', conf, '-i', join(o.dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const read = (f: string): string[] =>
    existsSync(f)
      ? readFileSync(f, 'utf8')
          .split('\n')
          .map((l) => l.replace(/^\s*\uFEFF?/, '').trim())
          .filter(Boolean)
      : [];
  return {
    udpFile,
    tlsFile,
    received: (which) => read(which === 'udp' ? udpFile : tlsFile),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        if (output.includes('error')) process.stderr.write(`rsyslogd said: ${output}\n`);
      }),
  };
}
