import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { KubeClient } from '../client/index.js';
import { ManualClock } from '../common/clock.js';
import { SERVING_RENEW_BEFORE_MS, SERVING_VALIDITY_MS } from '../identity/index.js';
import { createAccessKey } from '../objectstore/s3/credentials.js';
import { sdkClient } from '../objectstore/testing.js';
import { startServer } from './server.js';

/** The serial number of the certificate a TLS port serves now, verified with `ca`. */
function servedSerial(url: string, ca: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), ca });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      resolve(new X509Certificate(socket.getPeerCertificate().raw).serialNumber);
      socket.end();
    });
  });
}

test('serving certificates are renewed before they expire while the server runs, keeping the CA', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-renew-'));
  // The server first started long enough ago that its certificates are due now (TLS clients check
  // them against the real time, so the clock moves from the past to now, not past now).
  const clock = new ManualClock(
    Date.now() - (SERVING_VALIDITY_MS - SERVING_RENEW_BEFORE_MS) - 2 * 86_400_000,
  );
  const server = await startServer({ dataDir: dir, apiPort: 0, s3Port: 0, clock });
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const caPath = server.caCertPath ?? '';
  const ca = await readFile(caPath, 'utf8');
  const s3Url = server.s3?.url ?? '';
  const before = { api: await servedSerial(server.apiUrl, ca), s3: await servedSerial(s3Url, ca) };

  clock.set(Date.now());
  assert.equal(await server.tls.refresh(), true, 'due for renewal');
  const after = { api: await servedSerial(server.apiUrl, ca), s3: await servedSerial(s3Url, ca) };
  assert.notEqual(after.api, before.api, 'the API serves the renewed certificate');
  assert.notEqual(after.s3, before.s3, 'S3 serves the renewed certificate');
  assert.equal(await readFile(caPath, 'utf8'), ca, 'the CA is kept');

  // Clients holding the CA notice nothing.
  const kube = KubeClient.fromKubeconfig(server.kubeconfigPath);
  const key = await createAccessKey(server.store, 'renewal');
  const s3 = sdkClient(s3Url, key, { ca });
  try {
    assert.equal((await kube.get('namespaces', 'default')).metadata?.name, 'default');
    await s3.send(new ListBucketsCommand({}));
  } finally {
    s3.destroy();
    await kube.close();
  }
});
