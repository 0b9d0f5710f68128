import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importArchive } from './image-archive.js';
import { pullImage } from './image-pull.js';
import { pushImage } from './image-push.js';
import { ImageStore } from './image-store.js';
import { OCI_INDEX } from './oci-types.js';
import { credentialsFromDockerConfig, lookupIn } from './registry-auth.js';
import { RegistryClient } from './registry-client.js';
import { writeDockerSave } from './testing/image-fixtures.js';
import { RegistryProcess, registryAvailable } from './testing/registry-process.js';
import { TokenServer } from './testing/token-server.js';

/** A store holding a two-layer image of about 3 MiB named `name`. */
async function storeWithImage(work: string, name: string): Promise<ImageStore> {
  await mkdir(join(work, 'l1', 'etc'), { recursive: true });
  await mkdir(join(work, 'l2', 'data'), { recursive: true });
  await writeFile(join(work, 'l1', 'etc', 'motd'), 'hello from the registry\n');
  await writeFile(join(work, 'l2', 'data', 'blob'), randomBytes(3 << 20));
  const file = await writeDockerSave(work, [join(work, 'l1'), join(work, 'l2')], {
    tags: [name],
    config: { Cmd: ['/bin/true'] },
  });
  const store = await ImageStore.open(join(work, 'images'));
  await importArchive(store, file);
  return store;
}

test('push and pull through a docker-registry: chunked upload, mount, index, errors', async (t) => {
  if (!registryAvailable()) return t.skip('docker-registry is not installed');
  const work = await mkdtemp(join(tmpdir(), 'stratus-registry-test-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const registry = await RegistryProcess.start();
  t.after(() => registry.close());
  const store = await storeWithImage(work, 'app:1');
  const target = `${registry.host}/team/app:v1`;
  await store.tag('app:1', target);
  const states: string[] = [];
  const pushed = await pushImage(store, target, {
    chunkSize: 1 << 20,
    progress: (e) => states.push(e.state),
  });
  assert.equal(pushed.digest, (await store.resolve('app:1')).digest);
  assert.ok(states.filter((s) => s === 'pushing').length >= 3, `chunked: ${states.join(',')}`);
  // Pushing again finds every blob there.
  states.length = 0;
  await pushImage(store, target);
  await pushImage(store, target, { progress: (e) => states.push(e.state) });
  assert.deepEqual(states, ['exists', 'exists', 'exists']);
  // Another repository of the same registry mounts the blobs instead of uploading them.
  await store.tag('app:1', `${registry.host}/other/app:v1`);
  states.length = 0;
  await pushImage(store, `${registry.host}/other/app:v1`, { progress: (e) => states.push(e.state) });
  assert.deepEqual(states, ['mounted', 'mounted', 'mounted']);

  const other = await ImageStore.open(join(work, 'images2'));
  const pulled = await pullImage(other, target);
  assert.deepEqual(pulled, { reference: target, digest: pushed.digest });
  const image = await other.ensureUnpacked(target);
  assert.equal(
    await readFile(join(image.layerDirs[0] ?? '', 'etc', 'motd'), 'utf8'),
    'hello from the registry\n',
  );
  assert.deepEqual(image.config.Cmd, ['/bin/true']);
  const pinned = await pullImage(
    await ImageStore.open(join(work, 'images3')),
    `${registry.host}/team/app@${pushed.digest}`,
  );
  assert.equal(pinned.digest, pushed.digest);

  // An index with linux/amd64 and linux/arm64 entries resolves to the amd64 manifest.
  const manifest = await store.blobs.readBytes(pushed.digest);
  const armConfig = Buffer.from(
    JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
  );
  const client = new RegistryClient(registry.host);
  const upload = await client.fetch({ method: 'POST', path: '/v2/team/app/blobs/uploads/', scope: 'x' });
  const { createHash } = await import('node:crypto');
  const armDigest = `sha256:${createHash('sha256').update(armConfig).digest('hex')}`;
  const loc = new URL(upload.headers.get('location') ?? '', `http://${registry.host}`);
  loc.searchParams.set('digest', armDigest);
  assert.equal(
    (await client.fetch({ method: 'PUT', path: loc.toString(), body: armConfig, scope: 'x' })).status,
    201,
  );
  const armManifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: armDigest,
        size: armConfig.length,
      },
      layers: [],
    }),
  );
  const armPut = await client.fetch({
    method: 'PUT',
    path: '/v2/team/app/manifests/arm',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: armManifest,
    scope: 'x',
  });
  assert.equal(armPut.status, 201);
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: armPut.headers.get('docker-content-digest'),
        size: armManifest.length,
        platform: { architecture: 'arm64', os: 'linux' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: pushed.digest,
        size: manifest.length,
        platform: { architecture: 'amd64', os: 'linux' },
      },
    ],
  };
  const put = await client.fetch({
    method: 'PUT',
    path: '/v2/team/app/manifests/multi',
    headers: { 'content-type': OCI_INDEX },
    body: Buffer.from(JSON.stringify(index)),
    scope: 'x',
  });
  assert.equal(put.status, 201, await put.text());
  const multi = await pullImage(
    await ImageStore.open(join(work, 'images4')),
    `${registry.host}/team/app:multi`,
  );
  assert.equal(multi.digest, pushed.digest);

  // Errors: a missing tag, a registry nobody listens on, a corrupted blob.
  await assert.rejects(pullImage(other, `${registry.host}/team/app:nope`), { code: 'IMAGE_NOT_FOUND' });
  await assert.rejects(pullImage(other, `${registry.host}/nobody/here:1`), { code: 'IMAGE_NOT_FOUND' });
  await assert.rejects(pullImage(other, '127.0.0.1:4/team/app:v1'), {
    code: 'REGISTRY_UNREACHABLE',
    message: /ECONNREFUSED/,
  });
  const layer = (await store.resolve('app:1')).manifest.layers[1]?.digest ?? '';
  await writeFile(registry.blobPath(layer), randomBytes(3 << 20));
  const fresh = await ImageStore.open(join(work, 'images5'));
  await assert.rejects(pullImage(fresh, target), { code: 'IMAGE_DIGEST_MISMATCH' });
  assert.equal(await fresh.blobs.has(layer), false);
  assert.deepEqual(await fresh.list(), []);
});

test('a registry behind htpasswd basic auth takes credentials from a dockerconfigjson value', async (t) => {
  if (!registryAvailable()) return t.skip('docker-registry is not installed');
  const work = await mkdtemp(join(tmpdir(), 'stratus-registry-auth-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const registry = await RegistryProcess.start({ users: { alice: 's3cret' } });
  t.after(() => registry.close());
  const store = await storeWithImage(work, 'app:1');
  const target = `${registry.host}/alice/app:1`;
  await store.tag('app:1', target);
  await assert.rejects(pushImage(store, target), {
    code: 'REGISTRY_UNAUTHORIZED',
    message: /wants credentials/,
  });
  const wrong = credentialsFromDockerConfig(
    JSON.stringify({ auths: { [registry.host]: { username: 'alice', password: 'nope' } } }),
  );
  await assert.rejects(pushImage(store, target, { credentials: lookupIn(wrong) }), {
    code: 'REGISTRY_UNAUTHORIZED',
    message: /credentials of "alice"/,
  });
  const secret = JSON.stringify({
    auths: { [registry.host]: { auth: Buffer.from('alice:s3cret').toString('base64') } },
  });
  const credentials = lookupIn(credentialsFromDockerConfig(secret));
  const pushed = await pushImage(store, target, { credentials });
  const other = await ImageStore.open(join(work, 'images2'));
  await assert.rejects(pullImage(other, target), { code: 'REGISTRY_UNAUTHORIZED' });
  assert.equal((await pullImage(other, target, { credentials })).digest, pushed.digest);
});

test('a registry with bearer-token auth: tokens fetched from the realm per scope with basic credentials', async (t) => {
  if (!registryAvailable()) return t.skip('docker-registry is not installed');
  const work = await mkdtemp(join(tmpdir(), 'stratus-registry-token-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const tokens = await TokenServer.start(work, { carol: 'pw' });
  t.after(() => tokens.close());
  const registry = await RegistryProcess.start({ token: { realm: tokens.realm, certFile: tokens.certFile } });
  t.after(() => registry.close());
  const store = await storeWithImage(work, 'app:1');
  const target = `${registry.host}/carol/app:1`;
  await store.tag('app:1', target);
  await assert.rejects(pushImage(store, target), {
    code: 'REGISTRY_UNAUTHORIZED',
    message: /token service .* refused anonymous/,
  });
  const credentials = lookupIn(new Map([[registry.host, { username: 'carol', password: 'pw' }]]));
  const pushed = await pushImage(store, target, { credentials });
  assert.ok(
    tokens.requests.some((q) => q.includes('scope=repository%3Acarol%2Fapp%3Apull%2Cpush')),
    tokens.requests.join(' '),
  );
  const other = await ImageStore.open(join(work, 'images2'));
  assert.equal((await pullImage(other, target, { credentials })).digest, pushed.digest);
});

test('a registry sending more than a manifest may hold or a blob says is cut off as it streams', async (t) => {
  // A misbehaving registry of the test's own on loopback: an endless manifest for `big`, and
  // for `long` a manifest whose layer is served longer than its descriptor says.
  const config = Buffer.from(
    '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
  );
  const digest = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const layer = {
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    digest: `sha256:${'1'.repeat(64)}`,
    size: 1024,
  };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: digest(config),
        size: config.length,
      },
      layers: [layer],
    }),
  );
  let sent = 0;
  const endless = (res: ServerResponse) => {
    const chunk = Buffer.alloc(64 << 10, 0x20);
    const more = () => {
      while (sent < 64 << 20 && res.write(chunk)) sent += chunk.length;
      if (sent >= 64 << 20) res.end();
    };
    res.on('drain', more);
    more();
  };
  const server = createServer((req, res) => {
    if (req.url === '/v2/big/manifests/1') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      return endless(res);
    }
    if (req.url === '/v2/long/manifests/1') {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      return res.end(manifest);
    }
    if (req.url === `/v2/long/blobs/${digest(config)}`) return res.end(config);
    if (req.url === `/v2/long/blobs/${layer.digest}`) return endless(res);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  server.on('connection', (s) => t.after(() => s.destroy()));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const work = await mkdtemp(join(tmpdir(), 'stratus-registry-capped-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const store = await ImageStore.open(join(work, 'images'));

  await assert.rejects(pullImage(store, `${host}/big:1`), {
    code: 'REGISTRY_PROTOCOL',
    message: /larger than 4194304/,
  });
  await assert.rejects(pullImage(store, `${host}/long:1`), {
    code: 'REGISTRY_PROTOCOL',
    message: /larger than 1024/,
  });
  assert.equal(await store.blobs.has(layer.digest), false);
  assert.deepEqual(await store.list(), []);
  assert.ok(sent < 64 << 20, `the client stopped reading (${sent} bytes sent)`);
});
