/**
 * Syslog for IHE ATNA: RFC 5424 messages (facility 10 authpriv, severity 5 notice, MSGID "IHE+RFC-3881", the XML
 * as a UTF-8 MSG with its BOM), sent over UDP (RFC 5426: one message per datagram) or TLS (RFC 5425: each message
 * framed as "<octet count> <message>").
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** authpriv (10) * 8 + notice (5) */
const PRI = 85;

/** RFC 5424 header fields: printable US-ASCII without spaces, bounded, "-" when empty. */
function field(s: string, max: number): string {
  const t = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return t || '-';
}

export interface SyslogHeader {
  hostname: string;
  appName: string;
  procId: string;
}

export function syslogMessage(xml: string, at: string, h: SyslogHeader): Buffer {
  const header = `<${PRI}>1 ${at} ${field(h.hostname, 255)} ${field(h.appName, 48)} ${field(h.procId, 128)} IHE+RFC-3881 - `;
  return Buffer.concat([Buffer.from(header, 'ascii'), BOM, Buffer.from(xml, 'utf8')]);
}

/** RFC 5425 section 4.3 octet-counting frame. */
export function octetFrame(msg: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${msg.length} `, 'ascii'), msg]);
}

export interface SyslogTransport {
  /** Resolves once the message is handed to the network (UDP: sent; TLS: written to an established session). */
  send(msg: Buffer): Promise<void>;
  close(): void;
}

/**
 * UDP: a connected socket, so an ICMP "port unreachable" from a repository that is down shows up as an error on
 * the next send (on most systems) and the exporter keeps the record for later. Beyond that UDP cannot tell.
 */
export function udpTransport(host: string, port: number): SyslogTransport {
  let sock: UdpSocket | undefined;
  let ready: Promise<UdpSocket> | undefined;
  let lastError: Error | undefined;
  const open = (): Promise<UdpSocket> =>
    (ready ??= new Promise<UdpSocket>((resolve, reject) => {
      const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      s.on('error', (e) => {
        lastError = e;
      });
      s.connect(port, host, () => {
        sock = s;
        resolve(s);
      });
      s.once('error', reject);
    }).catch((e: unknown) => {
      ready = undefined;
      throw e;
    }));
  return {
    async send(msg) {
      const s = await open();
      if (lastError) {
        const e = lastError;
        lastError = undefined;
        throw e;
      }
      await new Promise<void>((resolve, reject) => s.send(msg, (e) => (e ? reject(e) : resolve())));
    },
    close() {
      sock?.close();
      sock = undefined;
      ready = undefined;
    },
  };
}

/** TLS with the repository's certificate checked (and ours presented when configured); reconnects after a failure. */
export function tlsTransport(options: ConnectionOptions & { host: string; port: number }, connectTimeoutMs = 10_000): SyslogTransport {
  let sock: TLSSocket | undefined;
  const open = (): Promise<TLSSocket> => {
    if (sock && !sock.destroyed && sock.writable) return Promise.resolve(sock);
    return new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect(options);
      const timer = setTimeout(() => s.destroy(new Error(`no TLS session with ${options.host}:${options.port} after ${connectTimeoutMs} ms`)), connectTimeoutMs);
      s.once('secureConnect', () => {
        clearTimeout(timer);
        sock = s;
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      s.on('close', () => {
        if (sock === s) sock = undefined;
      });
      // A repository never sends anything back; reading keeps a half-closed connection from going unnoticed.
      s.on('data', () => undefined);
      s.on('end', () => s.destroy());
    });
  };
  return {
    async send(msg) {
      const s = await open();
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error): void => reject(e);
        s.once('error', onError);
        s.write(octetFrame(msg), (e) => {
          s.off('error', onError);
          if (e) reject(e);
          else resolve();
        });
      });
    },
    close() {
      sock?.end();
      sock = undefined;
    },
  };
}
