import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { generateSelfSignedCert } from './self-signed-cert.js';

test('the self-signed certificate parses, verifies itself and names 127.0.0.1 and localhost', () => {
  const now = Date.UTC(2026, 0, 1);
  const pair = generateSelfSignedCert({ now, days: 10 });
  const cert = new X509Certificate(pair.cert);
  assert.ok(cert.verify(cert.publicKey), 'signed by its own key');
  assert.ok(cert.ca, 'usable as the kubeconfig CA');
  assert.ok(cert.checkIP('127.0.0.1'));
  assert.ok(cert.checkHost('localhost'));
  assert.equal(cert.subject, 'CN=stratus-apiserver');
  assert.equal(Date.parse(cert.validTo), now + 10 * 86_400_000);
  assert.ok(cert.checkPrivateKey(createPrivateKey(pair.key)));
});
