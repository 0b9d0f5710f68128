import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { issueCertificate, splitPemCertificates } from './certificate.js';

const DAY = 86_400_000;
const now = Date.UTC(2026, 0, 1);

test('a CA signs a server certificate that verifies against it and names its SANs', () => {
  const ca = issueCertificate({
    commonName: 'stratus-ca@1',
    isCa: true,
    notBefore: now,
    notAfter: now + 3650 * DAY,
  });
  const caCert = new X509Certificate(ca.cert);
  assert.ok(caCert.ca, 'basicConstraints CA:TRUE');
  assert.ok(caCert.verify(caCert.publicKey), 'self-signed');
  assert.equal(caCert.subject, 'CN=stratus-ca@1');
  assert.ok(caCert.checkPrivateKey(createPrivateKey(ca.key)));

  const leaf = issueCertificate(
    {
      commonName: 'stratus-apiserver',
      isCa: false,
      sans: { dnsNames: ['localhost', 'api.example'], ipAddresses: ['127.0.0.1', '::1', 'fd00::2'] },
      notBefore: now,
      notAfter: now + 365 * DAY,
    },
    ca,
  );
  const cert = new X509Certificate(leaf.cert);
  assert.ok(!cert.ca, 'not a CA');
  assert.ok(cert.checkIssued(caCert), 'issued by the CA (names and key identifiers)');
  assert.ok(cert.verify(caCert.publicKey), 'signed by the CA');
  assert.ok(!cert.verify(cert.publicKey), 'not self-signed');
  assert.equal(cert.issuer, 'CN=stratus-ca@1');
  assert.equal(cert.checkHost('api.example'), 'api.example');
  assert.equal(cert.checkIP('::1'), '::1');
  assert.equal(cert.checkIP('fd00::2'), 'fd00::2');
  assert.equal(cert.checkIP('10.0.0.1'), undefined);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: serverAuth');
  assert.equal(Date.parse(cert.validTo), now + 365 * DAY);
  assert.ok(cert.checkPrivateKey(createPrivateKey(leaf.key)));
});

test('validity after 2049 is GeneralizedTime; an RSA CA signs with sha256WithRSAEncryption', () => {
  const far = Date.UTC(2051, 5, 1);
  const ca = issueCertificate({ commonName: 'far', isCa: true, notBefore: now, notAfter: far });
  assert.equal(Date.parse(new X509Certificate(ca.cert).validTo), far);

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // An RSA CA as a user might bring: self-signed by issuing with its own key through a stand-in.
  const stand = issueCertificate({ commonName: 'rsa-root', isCa: true, notBefore: now, notAfter: far });
  const userCa = { cert: stand.cert, key: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
  const leaf = issueCertificate(
    {
      commonName: 'x',
      isCa: false,
      sans: { dnsNames: ['x'], ipAddresses: [] },
      notBefore: now,
      notAfter: far,
    },
    userCa,
  );
  assert.ok(new X509Certificate(leaf.cert).verify(rsa.publicKey));
});

test('splitPemCertificates returns each certificate of a chain in order', () => {
  const a = issueCertificate({ commonName: 'a', isCa: true, notBefore: now, notAfter: now + DAY });
  const b = issueCertificate({ commonName: 'b', isCa: true, notBefore: now, notAfter: now + DAY });
  const parts = splitPemCertificates(`${a.cert}${b.cert}`);
  assert.deepEqual(
    parts.map((p) => new X509Certificate(p).subject),
    ['CN=a', 'CN=b'],
  );
});
