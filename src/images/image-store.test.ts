import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportArchive, importArchive } from './image-archive.js';
import { ImageStore } from './image-store.js';
import { writeDockerSave } from './testing/image-fixtures.js';

const isRoot = process.getuid?.() === 0;

function tools(t: { skip(msg: string): void }): boolean {
  try {
    execFileSync('setfattr', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env['CI'] === 'true') assert.fail('setfattr (Debian attr) is required under CI');
    t.skip('setfattr (Debian attr) is missing');
    return false;
  }
}

async function twoLayers(work: string): Promise<string[]> {
  const base = join(work, 'base');
  await mkdir(join(base, 'etc'), { recursive: true });
  await mkdir(join(base, 'data', 'old'), { recursive: true });
  await writeFile(join(base, 'etc', 'hello'), 'hello\n');
  await writeFile(join(base, 'etc', 'gone'), 'bye\n');
  await writeFile(join(base, 'data', 'old', 'x'), 'x');
  const top = join(work, 'top');
  await mkdir(join(top, 'etc'), { recursive: true });
  await mkdir(join(top, 'data'), { recursive: true });
  await writeFile(join(top, 'etc', '.wh.gone'), '');
  await writeFile(join(top, 'data', '.wh..wh..opq'), '');
  await writeFile(join(top, 'data', 'new'), 'new');
  return [base, top];
}

test('a docker save tarball imports, unpacks with overlayfs whiteouts, exports and re-imports', async (t) => {
  if (!tools(t)) return;
  const work = await mkdtemp(join(tmpdir(), 'stratus-images-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const file = await writeDockerSave(work, await twoLayers(work), {
    tags: ['busybox:1', 'localhost:5000/team/app:v2'],
    config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
  });
  const store = await ImageStore.open(join(work, 'images'));
  const [first] = await importArchive(store, file);
  assert.equal(first?.reference, 'docker.io/library/busybox:1');
  const rows = await store.list();
  assert.deepEqual(rows.map((r) => r.reference).sort(), [
    'docker.io/library/busybox:1',
    'localhost:5000/team/app:v2',
  ]);
  assert.equal(rows[0]?.digest, rows[1]?.digest);

  const image = await store.ensureUnpacked('busybox:1');
  assert.equal(image.reference, 'docker.io/library/busybox:1');
  assert.deepEqual(image.config.Cmd, ['/bin/sh']);
  assert.equal(image.layerDirs.length, 2);
  const [lower, upper] = image.layerDirs as [string, string];
  assert.equal(await readFile(join(lower, 'etc', 'hello'), 'utf8'), 'hello\n');
  assert.ok(!lower.includes(':'), 'no colon in an overlayfs lower dir');
  if (isRoot) {
    const wh = await lstat(join(upper, 'etc', 'gone'));
    assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'whiteout is a 0:0 character device');
    const attr = execFileSync('getfattr', [
      '--only-values',
      '-n',
      'trusted.overlay.opaque',
      join(upper, 'data'),
    ]).toString();
    assert.equal(attr, 'y');
  }
  assert.deepEqual((await readdir(join(upper, 'data'))).sort(), ['new']);
  // Unpacked once per digest: a second call reuses the folders.
  assert.deepEqual((await store.ensureUnpacked(image.digest)).layerDirs, image.layerDirs);

  // Export, then import into a second store: same manifest digest, same names.
  await exportArchive(store, ['busybox:1'], join(work, 'out.tar'));
  const other = await ImageStore.open(join(work, 'images2'));
  const again = await importArchive(other, join(work, 'out.tar'));
  assert.deepEqual(again, [{ reference: 'docker.io/library/busybox:1', digest: image.digest }]);

  // rm removes a name; the blobs go with the last one.
  await store.tag('busybox:1', 'mine:latest');
  assert.equal((await store.remove('busybox:1')).length, 0);
  assert.equal((await store.remove('localhost:5000/team/app:v2')).length, 0);
  store.retain(image.digest);
  await assert.rejects(store.remove('mine'), { code: 'IMAGE_IN_USE' });
  store.release(image.digest);
  assert.equal((await store.remove('mine')).length, 4);
  assert.deepEqual(await store.list(), []);
  assert.deepEqual(await readdir(join(work, 'images', 'layers', 'sha256')), []);
  await assert.rejects(store.resolve('busybox:1'), { code: 'IMAGE_NOT_FOUND' });
});

test('a blob whose content does not match its digest is refused and nothing is stored', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'stratus-images-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const store = await ImageStore.open(join(work, 'images'));
  await assert.rejects(store.blobs.writeBytes(Buffer.from('abc'), `sha256:${'0'.repeat(64)}`), {
    code: 'IMAGE_DIGEST_MISMATCH',
  });
  assert.deepEqual(await store.blobs.list(), []);
  assert.deepEqual(await readdir(store.blobs.tmpDir), []);
  await assert.rejects(importArchive(store, join(work, 'nothing.tar')), { code: 'IMAGE_ARCHIVE_INVALID' });
});

test('two processes naming images in one store at once lose no name', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'stratus-images-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  await mkdir(join(work, 'layer', 'etc'), { recursive: true });
  await writeFile(join(work, 'layer', 'etc', 'motd'), 'hi\n');
  const file = await writeDockerSave(work, [join(work, 'layer')], { tags: ['app:1'] });
  const root = join(work, 'images');
  await importArchive(await ImageStore.open(root), file);
  // Each child tags 15 names; without the lock between processes, one's index write drops the
  // other's names.
  const script = `
    const { ImageStore } = await import(${JSON.stringify(new URL('./image-store.js', import.meta.url).href)});
    const store = await ImageStore.open(${JSON.stringify(root)});
    for (let i = 0; i < 15; i++) await store.tag('app:1', 'p' + process.argv[1] + '-' + i + ':1');`;
  const child = (n: number) =>
    new Promise<void>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script, String(n)], (err) =>
        err === null ? resolve() : reject(new Error(err.message)),
      ),
    );
  await Promise.all([child(1), child(2)]);
  const names = (await (await ImageStore.open(root)).list()).map((r) => r.reference);
  assert.equal(names.length, 31, names.join(' '));
});
