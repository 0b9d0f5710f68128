import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../common/clock.js';
import { splitPemCertificates } from './certificate.js';
import { issueTestChain } from './testing.js';
import { IdentityError } from './errors.js';
import { SERVING_RENEW_BEFORE_MS, SERVING_VALIDITY_MS } from './serving-cert.js';
import { ServingTls } from './serving-tls.js';

const SANS = { dnsNames: ['localhost', 'node-1'], ipAddresses: ['127.0.0.1', '::1'] };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-tls-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function chainOf(pem: string): X509Certificate[] {
  return splitPemCertificates(pem).map((c) => new X509Certificate(c));
}

test('the first start makes a CA (key 0600) and serving certificates it signed, sent with the CA', async () => {
  await withDir(async (dir) => {
    const clock = new ManualClock();
    const tls = await ServingTls.open({
      dataDir: dir,
      sans: SANS,
      s3ExtraDnsNames: ['*.s3.localhost'],
      clock,
    });
    try {
      assert.equal((await stat(join(dir, 'tls', 'ca.key'))).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'tls', 'apiserver.key'))).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'tls'))).mode & 0o777, 0o700);
      const ca = new X509Certificate(await readFile(join(dir, 'tls', 'ca.crt'), 'utf8'));
      assert.ok(ca.ca);
      assert.match(ca.subject, /^CN=stratus-ca@\d+$/);
      assert.deepEqual(tls.trust, { pem: ca.toString(), path: join(dir, 'tls', 'ca.crt') });
      const [api, apiCa] = chainOf(tls.pair('apiserver').cert);
      assert.ok(api && apiCa);
      assert.ok(api.verify(ca.publicKey) && !api.ca);
      assert.equal(apiCa.fingerprint256, ca.fingerprint256, 'the chain ends with the CA');
      assert.equal(api.subject, 'CN=stratus-apiserver');
      assert.equal(api.checkHost('node-1'), 'node-1');
      assert.equal(Date.parse(api.validTo), Math.floor((clock.now() + SERVING_VALIDITY_MS) / 1000) * 1000);
      const [s3] = chainOf(tls.pair('s3').cert);
      assert.equal(s3?.checkHost('photos.s3.localhost'), '*.s3.localhost');
      assert.equal(api.checkHost('photos.s3.localhost'), undefined, 'the wildcard is S3-only');
    } finally {
      await tls.close();
    }
  });
});

test('a later start reuses everything; renewal before expiry and new names keep the CA', async () => {
  await withDir(async (dir) => {
    const clock = new ManualClock();
    const first = await ServingTls.open({ dataDir: dir, sans: SANS, clock });
    const pair = first.pair('apiserver');
    await first.close();
    const again = await ServingTls.open({ dataDir: dir, sans: SANS, clock });
    assert.deepEqual(again.pair('apiserver'), pair, 'reused while valid');
    let changes = 0;
    again.onChange(() => changes++);
    clock.advance(SERVING_VALIDITY_MS - SERVING_RENEW_BEFORE_MS - 86_400_000);
    assert.equal(await again.refresh(), false, 'not due yet');
    clock.advance(2 * 86_400_000);
    assert.equal(await again.refresh(), true, 'due: renewed');
    assert.equal(changes, 1);
    const [renewed, ca] = chainOf(again.pair('apiserver').cert);
    assert.ok(renewed && ca);
    assert.notEqual(renewed.serialNumber, chainOf(pair.cert)[0]?.serialNumber);
    assert.equal(ca.fingerprint256, new X509Certificate(first.ca.cert).fingerprint256, 'same CA');
    assert.ok(Date.parse(renewed.validTo) > clock.now() + SERVING_VALIDITY_MS - 86_400_000);
    assert.equal(
      await readFile(join(dir, 'tls', 'apiserver.crt'), 'utf8'),
      again.pair('apiserver').cert,
      'kept on disk',
    );
    await again.close();

    const wider = await ServingTls.open({
      dataDir: dir,
      sans: { ...SANS, dnsNames: [...SANS.dnsNames, 'stratus.example'] },
      clock,
    });
    const [named] = chainOf(wider.pair('apiserver').cert);
    assert.equal(named?.checkHost('stratus.example'), 'stratus.example', 'a new --tls-san re-issues');
    assert.equal(wider.ca.cert, first.ca.cert);
    await wider.close();
  });
});

test('a CA missing half its pair stops the start instead of being replaced', async () => {
  await withDir(async (dir) => {
    const tls = await ServingTls.open({ dataDir: dir, sans: SANS });
    await tls.close();
    await unlink(join(dir, 'tls', 'ca.crt'));
    await assert.rejects(
      ServingTls.open({ dataDir: dir, sans: SANS }),
      (e: unknown) =>
        e instanceof IdentityError && e.code === 'IDENTITY_CA_INVALID' && /ca\.crt is not/.test(e.message),
    );
  });
});

test('a CA the user put in DATA_DIR/tls before the first start signs the serving certificates', async () => {
  await withDir(async (dir) => {
    const own = issueTestChain({ rootName: 'my-ca' }).root;
    await mkdir(join(dir, 'tls'), { recursive: true });
    await writeFile(join(dir, 'tls', 'ca.crt'), own.cert);
    await writeFile(join(dir, 'tls', 'ca.key'), own.key, { mode: 0o600 });
    const tls = await ServingTls.open({ dataDir: dir, sans: SANS });
    try {
      const [leaf] = chainOf(tls.pair('apiserver').cert);
      assert.equal(leaf?.issuer, 'CN=my-ca');
      assert.ok(leaf?.verify(new X509Certificate(own.cert).publicKey));
      assert.equal(tls.trust?.pem, own.cert);
      assert.ok(
        Date.parse(leaf?.validTo ?? '') <= Date.parse(new X509Certificate(own.cert).validTo),
        'never valid past its CA',
      );
    } finally {
      await tls.close();
    }
  });
});

test("a certificate of the user's own is served as it is; its root is what clients trust", async () => {
  await withDir(async (dir) => {
    const { root, leaf } = issueTestChain({ sans: SANS });
    const certFile = join(dir, 'server.crt');
    const keyFile = join(dir, 'server.key');
    await writeFile(certFile, leaf.cert + root.cert);
    await writeFile(keyFile, leaf.key);
    const tls = await ServingTls.open({ dataDir: join(dir, 'data'), sans: SANS, certFile, keyFile });
    try {
      assert.ok(tls.userProvided);
      assert.equal(tls.pair('apiserver').cert, leaf.cert + root.cert);
      assert.equal(tls.pair('s3').key, leaf.key);
      assert.deepEqual(tls.trust, { pem: root.cert, path: certFile });
      // Renewed on disk (certbot): the next refresh serves it.
      const next = issueTestChain({ sans: SANS }).leaf;
      await writeFile(certFile, next.cert);
      await writeFile(keyFile, next.key);
      assert.equal(await tls.refresh(), true);
      assert.equal(tls.pair('apiserver').cert, next.cert);
      assert.equal(tls.trust, undefined, 'no root in the file: the system trust store decides');
      await writeFile(keyFile, root.key);
      await assert.rejects(
        tls.refresh(),
        (e: unknown) =>
          e instanceof IdentityError &&
          e.code === 'IDENTITY_TLS_FILES_INVALID' &&
          /does not belong/.test(e.message),
      );
      assert.equal(tls.pair('apiserver').cert, next.cert, 'a bad file changes nothing');
    } finally {
      await tls.close();
    }
  });
});
