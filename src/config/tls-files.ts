/**
 * Reads the PEM files named by a TLS configuration (http.tls, dimse.tls, destinations[].tls) at start-up, so a
 * missing file or a key that does not match its certificate stops the node with the setting and file named,
 * instead of failing the first connection.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

export interface PemFiles {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
}

/** cert/key/ca buffers; `setting` (e.g. "http.tls") prefixes every error. */
export function readPemFiles(setting: string, files: PemFiles): SecureContextOptions {
  const read = (what: keyof PemFiles): Buffer | undefined => {
    const path = files[what];
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`${setting}.${what} ${path} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const pem: SecureContextOptions = {};
  const cert = read('certFile');
  const key = read('keyFile');
  const ca = read('caFile');
  if (cert) pem.cert = cert;
  if (key) pem.key = key;
  if (ca) pem.ca = ca;
  try {
    createSecureContext(pem);
  } catch (e) {
    const what = files.certFile ? `${files.certFile} / ${files.keyFile}` : `${files.caFile}`;
    throw new Error(`${setting}: ${what} are not a usable PEM certificate and matching private key: ${(e as Error).message}`);
  }
  return pem;
}

/** Server options for node:https / node:tls createServer from a server TLS section. */
export function serverTlsOptions(setting: string, t: PemFiles & { clientCertificates: 'none' | 'request' | 'require' }): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  return { ...readPemFiles(setting, t), requestCert: t.clientCertificates !== 'none', rejectUnauthorized: t.clientCertificates === 'require' };
}
