import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { buildImage } from './image-builder.js';
import { ImageStore } from './image-store.js';
import { prepareBusybox } from './testing/busybox-context.js';
import { ChrootBuildRunner } from './testing/chroot-build-runner.js';

async function setup(t: {
  after(fn: () => Promise<void>): void;
}): Promise<{ work: string; store: ImageStore }> {
  const work = await mkdtemp(join(tmpdir(), 'stratus-build-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  return { work, store: await ImageStore.open(join(work, 'images')) };
}

test('the busybox example builds FROM scratch with applet links, passwd and config', async (t) => {
  const { work, store } = await setup(t);
  if (!prepareBusybox(join(work, 'ctx'))) return t.skip('busybox-static is not installed');
  const out = new PassThrough();
  let log = '';
  out.on('data', (b: Buffer) => (log += b.toString()));
  const first = await buildImage(store, {
    contextDir: join(work, 'ctx'),
    tags: ['busybox:test'],
    output: out,
    created: new Date(0),
  });
  assert.match(log, /Step 1\/6 : FROM scratch/);
  const image = await store.ensureUnpacked('busybox:test');
  assert.equal(image.digest, first.digest);
  assert.deepEqual(image.config.Cmd, ['sh']);
  assert.equal(image.layerDirs.length, 2);
  const [root, etc] = image.layerDirs as [string, string];
  assert.equal(await readlink(join(root, 'bin', 'sh')), '/bin/busybox');
  assert.equal(await readlink(join(root, 'usr', 'sbin', 'httpd')), '/bin/busybox');
  assert.equal((await lstat(join(root, 'tmp'))).mode & 0o7777, 0o1777);
  assert.match(await readFile(join(etc, 'etc', 'passwd'), 'utf8'), /^nobody:x:65534:65534:/m);
  // The same context builds the same layers and image again: cached by content.
  log = '';
  const again = await buildImage(store, {
    contextDir: join(work, 'ctx'),
    tags: ['busybox:test'],
    output: out,
    created: new Date(0),
  });
  assert.equal(again.digest, first.digest);
  assert.equal(log.match(/Using cache/g)?.length, 2);
});

test('metadata instructions, COPY forms and errors naming the line', async (t) => {
  const { work, store } = await setup(t);
  const ctx = join(work, 'ctx');
  await mkdir(join(ctx, 'dir', 'sub'), { recursive: true });
  await writeFile(join(ctx, 'a.txt'), 'a');
  await writeFile(join(ctx, 'b.txt'), 'b');
  await writeFile(join(ctx, 'dir', 'sub', 'c'), 'c');
  execFileSync('tar', ['-c', '-f', join(ctx, 'arch.tar'), '-C', join(ctx, 'dir'), 'sub']);
  await writeFile(
    join(ctx, 'Dockerfile'),
    [
      'FROM scratch',
      'ENV APP=/app GREETING="hello world"',
      'WORKDIR $APP',
      'COPY *.txt ./',
      'COPY dir /opt/',
      'ADD arch.tar /unpacked',
      'COPY --chown=1000:1000 a.txt /owned',
      'USER 1000',
      'EXPOSE 8080 53/udp',
      'LABEL version=1',
      'ENTRYPOINT ["/bin/app"]',
      'CMD --serve',
    ].join('\n'),
  );
  const { digest } = await buildImage(store, { contextDir: ctx, tags: ['app:1'] });
  const image = await store.ensureUnpacked(digest);
  assert.deepEqual(image.config, {
    Env: ['APP=/app', 'GREETING=hello world'],
    WorkingDir: '/app',
    User: '1000',
    ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
    Labels: { version: '1' },
    Entrypoint: ['/bin/app'],
    Cmd: ['/bin/sh', '-c', '--serve'],
  });
  const [txt, dir, arch, owned] = image.layerDirs as [string, string, string, string];
  assert.equal(await readFile(join(txt, 'app', 'b.txt'), 'utf8'), 'b');
  assert.equal(await readFile(join(dir, 'opt', 'sub', 'c'), 'utf8'), 'c');
  assert.equal(await readFile(join(arch, 'unpacked', 'sub', 'c'), 'utf8'), 'c');
  if (process.getuid?.() === 0) assert.equal((await lstat(join(owned, 'owned'))).uid, 1000);

  const fails = async (dockerfile: string, pattern: RegExp): Promise<void> => {
    await writeFile(join(ctx, 'Dockerfile'), dockerfile);
    await assert.rejects(buildImage(store, { contextDir: ctx }), {
      code: 'IMAGE_BUILD_FAILED',
      message: pattern,
    });
  };
  await fails('FROM scratch\nCOPY a.txt /\nRUN true\n', /^Dockerfile line 3: RUN needs a container runtime/);
  await fails('FROM scratch\nCOPY ../x /\n', /^Dockerfile line 2: COPY source "..\/x" does not exist/);
  await fails('FROM scratch\nCOPY nope /\n', /line 2: COPY source "nope" does not exist/);
  await fails('FROM nothing:here\n', /line 1: FROM nothing:here: not in the image store/);
  await fails('COPY a /\n', /must start with FROM/);
  await fails('FROM scratch\nEXPOSE http\n', /line 2: EXPOSE "http" is not PORT/);
});

test('RUN steps run over the layers so far; deletions become whiteouts; a failing RUN names its line', async (t) => {
  const { work, store } = await setup(t);
  if (process.getuid?.() !== 0) return t.skip('RUN through overlayfs needs root');
  if (!prepareBusybox(join(work, 'base'))) return t.skip('busybox-static is not installed');
  await buildImage(store, { contextDir: join(work, 'base'), tags: ['busybox:test'] });
  const ctx = join(work, 'ctx');
  await mkdir(ctx);
  await writeFile(
    join(ctx, 'Dockerfile'),
    'FROM busybox:test\nENV WHO=stratus\nWORKDIR /srv\nRUN rm /etc/group && rm -rf /var/www && mkdir -p /var/www && echo "hi $WHO" > index.html\n',
  );
  const out = new PassThrough();
  let log = '';
  out.on('data', (b: Buffer) => (log += b.toString()));
  const created = new Date(0);
  const built = await buildImage(store, {
    contextDir: ctx,
    runner: new ChrootBuildRunner(),
    tags: ['web:1'],
    output: out,
    created,
  });
  const image = await store.ensureUnpacked(built.digest);
  const top = image.layerDirs[image.layerDirs.length - 1] ?? '';
  assert.equal(await readFile(join(top, 'srv', 'index.html'), 'utf8'), 'hi stratus\n');
  const gone = await lstat(join(top, 'etc', 'group'));
  assert.ok(gone.isCharacterDevice() && gone.rdev === 0, 'the deleted /etc/group is a whiteout');
  const layer = (await store.resolve('web:1')).manifest.layers.at(-1)?.digest ?? '';
  const names = execFileSync('tar', ['-t', '-f', store.blobs.path(layer)])
    .toString()
    .split('\n');
  assert.ok(names.includes('./etc/.wh.group'), names.join(' '));
  assert.ok(names.includes('./var/www/.wh..wh..opq'), names.join(' '));
  // Same parent, command and environment: the RUN is not run again.
  log = '';
  assert.equal(
    (await buildImage(store, { contextDir: ctx, runner: new ChrootBuildRunner(), output: out, created })).id,
    built.id,
  );
  assert.match(log, /Using cache/);
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox:test\nRUN exit 3\n');
  await assert.rejects(buildImage(store, { contextDir: ctx, runner: new ChrootBuildRunner() }), {
    code: 'IMAGE_BUILD_FAILED',
    message: /^Dockerfile line 2: RUN \["\/bin\/sh","-c","exit 3"\] returned a non-zero code: 3/,
  });
});
