import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIPv4 } from 'node:net';
import {
  bits,
  boolean,
  concat,
  context,
  integer,
  octets,
  oid,
  pem,
  sequence,
  set,
  smallInteger,
  utcTime,
  utf8,
} from './der.js';

/** A certificate and its private key, both PEM. */
export interface CertificatePair {
  cert: string;
  key: string;
}

/** Options of generateSelfSignedCert. */
export interface SelfSignedOptions {
  /** The subject's common name; default `stratus-apiserver`. */
  commonName?: string;
  /** DNS names in the subjectAltName; default `localhost`. */
  dnsNames?: string[];
  /** IPv4 addresses in the subjectAltName; default `127.0.0.1`. */
  ipAddresses?: string[];
  /** Start of validity in ms since the epoch; default now. */
  now?: number;
  /** Days of validity; default 3650. */
  days?: number;
}

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';

/**
 * A self-signed ECDSA P-256 certificate that is both its own CA (so a kubeconfig can name it in
 * `certificate-authority-data`) and the API server's serving certificate, built with node:crypto
 * and a small DER encoder instead of an `openssl` binary the host may lack.
 */
export function generateSelfSignedCert(options: SelfSignedOptions = {}): CertificatePair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const now = options.now ?? Date.now();
  const days = options.days ?? 3650;
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8(options.commonName ?? 'stratus-apiserver'))));
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = (serial[0] ?? 0) & 0x7f || 1;
  const algorithm = sequence(oid(ECDSA_SHA256));
  // The key identifier: SHA-1 of the subjectPublicKey bits (the last 65 bytes of the SPKI for P-256).
  const keyId = new Uint8Array(
    createHash('sha1')
      .update(spki.subarray(spki.length - 65))
      .digest(),
  );
  const altNames: Uint8Array[] = [];
  for (const dns of options.dnsNames ?? ['localhost'])
    altNames.push(context(2, new TextEncoder().encode(dns), false));
  for (const ip of options.ipAddresses ?? ['127.0.0.1']) {
    if (isIPv4(ip)) altNames.push(context(7, new Uint8Array(ip.split('.').map(Number)), false));
  }
  const extension = (id: string, critical: boolean, value: Uint8Array): Uint8Array =>
    critical ? sequence(oid(id), boolean(true), octets(value)) : sequence(oid(id), octets(value));
  const extensions = sequence(
    extension('2.5.29.19', true, sequence(boolean(true))),
    // keyUsage: digitalSignature (bit 0) and keyCertSign (bit 5); 2 unused bits.
    extension('2.5.29.15', true, new Uint8Array([0x03, 0x02, 0x02, 0x84])),
    extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'))),
    extension('2.5.29.14', false, octets(keyId)),
    extension('2.5.29.17', false, sequence(...altNames)),
  );
  const tbs = sequence(
    context(0, smallInteger(2), true),
    integer(serial),
    algorithm,
    name,
    sequence(utcTime(now - 3600_000), utcTime(now + days * 86_400_000)),
    name,
    spki,
    context(3, extensions, true),
  );
  const signature = new Uint8Array(sign('sha256', tbs, privateKey));
  const cert = sequence(tbs, algorithm, bits(signature));
  return {
    cert: pem('CERTIFICATE', concat(cert)),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
