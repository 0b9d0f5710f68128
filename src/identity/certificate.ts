import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import {
  bits,
  boolean,
  childrenOf,
  concat,
  context,
  integer,
  octets,
  oid,
  pem,
  readElement,
  sequence,
  set,
  smallInteger,
  utf8,
  x509Time,
} from './der.js';
import { ipAddressBytes, type SubjectAltNames } from './subject-alt-names.js';

/** A certificate (PEM; a chain when it holds several) and its private key (PKCS#8 PEM). */
export interface CertificatePair {
  cert: string;
  key: string;
}

/** What a new certificate says. */
export interface CertificateTemplate {
  /** The subject's common name. */
  commonName: string;
  /** A CA, which may sign certificates, or else a TLS server certificate. */
  isCa: boolean;
  /** The names a server certificate is valid for. */
  sans?: SubjectAltNames;
  /**
   * What a non-CA certificate is for (extendedKeyUsage): default `['server']`; etcd's members
   * take `['server', 'client']` (peers dial each other), a client of etcd `['client']`.
   */
  usages?: Array<'server' | 'client'>;
  /** Validity, in ms since the epoch. */
  notBefore: number;
  notAfter: number;
}

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const RSA_SHA256 = '1.2.840.113549.1.1.11';
const EXT_BASIC_CONSTRAINTS = '2.5.29.19';
const EXT_KEY_USAGE = '2.5.29.15';
const EXT_EXT_KEY_USAGE = '2.5.29.37';
const EXT_SUBJECT_KEY_ID = '2.5.29.14';
const EXT_AUTHORITY_KEY_ID = '2.5.29.35';
const EXT_SUBJECT_ALT_NAME = '2.5.29.17';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
// keyUsage BIT STRINGs: digitalSignature, keyCertSign and cRLSign (1 unused bit) for a CA;
// digitalSignature alone (7 unused bits) for an ECDSA server key.
const CA_KEY_USAGE = new Uint8Array([0x03, 0x02, 0x01, 0x86]);
const SERVER_KEY_USAGE = new Uint8Array([0x03, 0x02, 0x07, 0x80]);

/** The DER of a PEM certificate (the first one of a chain). */
function certDer(pemText: string): Uint8Array {
  return new Uint8Array(new X509Certificate(pemText).raw);
}

/** RFC 5280's key identifier: SHA-1 of the subjectPublicKey bits of a DER SubjectPublicKeyInfo. */
function keyIdentifier(spki: Uint8Array): Uint8Array {
  const [, key] = childrenOf(spki, readElement(spki, 0));
  if (key === undefined) throw new RangeError('SubjectPublicKeyInfo without a key');
  // Skip the BIT STRING's unused-bits byte.
  return new Uint8Array(
    createHash('sha1')
      .update(spki.subarray(key.start + 1, key.end))
      .digest(),
  );
}

/** The DER of a certificate's subject Name, exactly as it is encoded there (to name it as issuer). */
function subjectName(der: Uint8Array): Uint8Array {
  const [tbs] = childrenOf(der, readElement(der, 0));
  if (tbs === undefined) throw new RangeError('certificate without a body');
  const fields = childrenOf(der, tbs);
  // version [0], serial, signature algorithm, issuer, validity, subject.
  const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
  if (subject === undefined) throw new RangeError('certificate without a subject');
  return der.subarray(subject.offset, subject.end);
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? sequence(oid(id), boolean(true), octets(value)) : sequence(oid(id), octets(value));
}

function altNames(sans: SubjectAltNames): Uint8Array {
  const names: Uint8Array[] = sans.dnsNames.map((d) => context(2, new TextEncoder().encode(d), false));
  for (const ip of sans.ipAddresses) {
    const bytes = ipAddressBytes(ip);
    if (bytes === undefined) throw new RangeError(`not an IP address: ${ip}`);
    names.push(context(7, bytes, false));
  }
  return sequence(...names);
}

/**
 * Makes an ECDSA P-256 key and an X.509 v3 certificate for it, signed by `issuer` (a CA's
 * certificate and key) or, without one, by itself. A CA gets basicConstraints CA:TRUE and the
 * keyCertSign usage; a server certificate gets CA:FALSE, serverAuth, its subject alternative
 * names and the issuer's key identifier. Built with node:crypto and a small DER encoder, so no
 * `openssl` binary is needed.
 */
export function issueCertificate(template: CertificateTemplate, issuer?: CertificatePair): CertificatePair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const subject = sequence(set(sequence(oid('2.5.4.3'), utf8(template.commonName))));
  const issuerDer = issuer === undefined ? undefined : certDer(issuer.cert);
  const issuerName = issuerDer === undefined ? subject : subjectName(issuerDer);
  const issuerSpki =
    issuer === undefined
      ? spki
      : new Uint8Array(new X509Certificate(issuer.cert).publicKey.export({ type: 'spki', format: 'der' }));
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = (serial[0] ?? 0) & 0x7f || 1;
  const signingKey = issuer === undefined ? privateKey : createPrivateKey(issuer.key);
  // A CA brought by the user may have an RSA key; ours are ECDSA.
  let algorithm: Uint8Array;
  if (signingKey.asymmetricKeyType === 'ec') algorithm = sequence(oid(ECDSA_SHA256));
  else if (signingKey.asymmetricKeyType === 'rsa')
    algorithm = sequence(oid(RSA_SHA256), new Uint8Array([5, 0]));
  else
    throw new RangeError(
      `cannot sign with a ${signingKey.asymmetricKeyType ?? 'unknown'} key: use an EC or RSA CA key`,
    );
  const extensions: Uint8Array[] = template.isCa
    ? [
        extension(EXT_BASIC_CONSTRAINTS, true, sequence(boolean(true))),
        extension(EXT_KEY_USAGE, true, CA_KEY_USAGE),
        extension(EXT_SUBJECT_KEY_ID, false, octets(keyIdentifier(spki))),
      ]
    : [
        extension(EXT_BASIC_CONSTRAINTS, true, sequence()),
        extension(EXT_KEY_USAGE, true, SERVER_KEY_USAGE),
        extension(
          EXT_EXT_KEY_USAGE,
          false,
          sequence(
            ...(template.usages ?? ['server']).map((u) => oid(u === 'server' ? SERVER_AUTH : CLIENT_AUTH)),
          ),
        ),
        extension(EXT_SUBJECT_KEY_ID, false, octets(keyIdentifier(spki))),
      ];
  if (issuer !== undefined)
    extensions.push(
      extension(EXT_AUTHORITY_KEY_ID, false, sequence(context(0, keyIdentifier(issuerSpki), false))),
    );
  if (template.sans !== undefined)
    extensions.push(extension(EXT_SUBJECT_ALT_NAME, false, altNames(template.sans)));
  const tbs = sequence(
    context(0, smallInteger(2), true),
    integer(serial),
    algorithm,
    issuerName,
    sequence(x509Time(template.notBefore), x509Time(template.notAfter)),
    subject,
    spki,
    context(3, sequence(...extensions), true),
  );
  const signature = new Uint8Array(sign('sha256', tbs, signingKey));
  return {
    cert: pem('CERTIFICATE', concat(sequence(tbs, algorithm, bits(signature)))),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** The certificates of a PEM bundle, in order. */
export function splitPemCertificates(text: string): string[] {
  return (
    text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((c) => `${c}\n`) ?? []
  );
}
