import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareBusybox, RegistryProcess, registryAvailable } from '../images/testing.js';
import { runcAvailable } from '../runtime/index.js';
import { MAIN_JS } from './cli-harness.js';

function stratus(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return stratusInput(cwd, '', ...args);
}

function stratusInput(
  cwd: string,
  input: string,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN_JS, ...args], {
    cwd,
    encoding: 'utf8',
    input,
    env: { ...process.env, HOME: cwd },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('stratus image build, ls, tag, inspect, export, rm and import', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'stratus-image-cli-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  if (!prepareBusybox(join(work, 'ctx'))) return t.skip('busybox-static is not installed');

  const built = stratus(work, 'image', 'build', 'ctx', '-t', 'busybox:1.35');
  assert.equal(built.code, 0, built.stderr);
  assert.match(built.stdout, /Successfully tagged busybox:1\.35/);
  assert.equal(stratus(work, 'image', 'tag', 'busybox:1.35', 'localhost:5000/tools/busybox:v1').code, 0);
  const ls = stratus(work, 'image', 'ls');
  assert.match(ls.stdout, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n/);
  assert.match(ls.stdout, /^busybox +1\.35 +[0-9a-f]{12} /m);
  assert.match(ls.stdout, /^localhost:5000\/tools\/busybox +v1 /m);
  const inspect = JSON.parse(stratus(work, 'image', 'inspect', 'busybox:1.35').stdout) as {
    Config: { Cmd: string[] };
    Digest: string;
  }[];
  assert.deepEqual(inspect[0]?.Config.Cmd, ['sh']);

  assert.equal(stratus(work, 'image', 'export', 'busybox:1.35', '-o', 'bb.tar').code, 0);
  const rmOne = stratus(work, 'image', 'rm', 'busybox:1.35');
  assert.equal(rmOne.code, 0);
  assert.doesNotMatch(rmOne.stdout, /Deleted/);
  assert.match(stratus(work, 'image', 'rm', 'localhost:5000/tools/busybox:v1').stdout, /Deleted: sha256:/);
  assert.equal(stratus(work, 'image', 'ls').stdout.split('\n').length, 2);

  const loaded = stratus(work, 'image', 'import', 'bb.tar');
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.equal(loaded.stdout, 'Loaded image: docker.io/library/busybox:1.35\n');
  const reloaded = JSON.parse(stratus(work, 'image', 'inspect', 'busybox:1.35').stdout) as {
    Digest: string;
  }[];
  assert.equal(reloaded[0]?.Digest, inspect[0]?.Digest);

  const missing = stratus(work, 'image', 'inspect', 'nope');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /image "nope" not found/);
  const bad = stratus(work, 'image', 'tag', 'busybox:1.35', 'Bad');
  assert.match(bad.stderr, /invalid image reference "Bad"/);
});

test('stratus image login, push and pull against a registry with basic auth', async (t) => {
  if (!registryAvailable()) return t.skip('docker-registry is not installed');
  const work = await mkdtemp(join(tmpdir(), 'stratus-image-cli-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  if (!prepareBusybox(join(work, 'ctx'))) return t.skip('busybox-static is not installed');
  const registry = await RegistryProcess.start({ users: { bob: 'pw' } });
  t.after(() => registry.close());
  const target = `${registry.host}/tools/busybox:1`;
  assert.equal(stratus(work, 'image', 'build', 'ctx', '-q', '-t', target).code, 0);
  const denied = stratus(work, 'image', 'push', target);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /wants credentials/);
  const badLogin = stratusInput(
    work,
    'nope\n',
    'image',
    'login',
    registry.host,
    '-u',
    'bob',
    '--password-stdin',
  );
  assert.equal(badLogin.code, 1);
  const login = stratusInput(work, 'pw\n', 'image', 'login', registry.host, '-u', 'bob', '--password-stdin');
  assert.equal(login.code, 0, login.stderr);
  const pushed = stratus(work, 'image', 'push', target);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stdout, /digest: sha256:[0-9a-f]{64}/);
  const other = join(work, 'node2');
  const pulled = stratus(
    work,
    'image',
    'pull',
    target,
    '--data-dir',
    other,
    '--registry-config',
    '.stratus/registry-auth.json',
  );
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.equal(
    pulled.stdout.split('\n')[0],
    pushed.stdout.trim().split(': digest: ')[0] === target
      ? `Digest: ${pushed.stdout.trim().split('digest: ')[1] ?? ''}`
      : '',
  );
  assert.match(
    stratus(work, 'image', 'ls', '--data-dir', other).stdout,
    new RegExp(`^${registry.host}/tools/busybox +1 `, 'm'),
  );
});

test('stratus image build runs RUN steps in a runc container, each a layer the next step sees', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'stratus-image-run-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  if (!prepareBusybox(join(work, 'ctx'))) return t.skip('busybox-static is not installed');
  if (!runcAvailable()) {
    if (process.env.CI === 'true') assert.fail('runc, tini-static and root are required under CI');
    return t.skip('RUN needs root, runc and tini-static');
  }
  assert.equal(stratus(work, 'image', 'build', 'ctx', '-q', '-t', 'busybox:1.35').code, 0);
  await mkdir(join(work, 'step1'));
  await writeFile(
    join(work, 'step1', 'Dockerfile'),
    'FROM busybox:1.35\nWORKDIR /app\nRUN echo built > made.txt && rm /bin/ls\n',
  );
  const first = stratus(work, 'image', 'build', 'step1', '-t', 'step:1');
  assert.equal(first.code, 0, first.stderr);
  await mkdir(join(work, 'step2'));
  // The second image sees the first one's file, and the deletion (a whiteout) stays deleted.
  await writeFile(join(work, 'step2', 'Dockerfile'), 'FROM step:1\nRUN cat made.txt && test ! -e /bin/ls\n');
  const second = stratus(work, 'image', 'build', 'step2', '-t', 'step:2');
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /^built$/m);
  await writeFile(join(work, 'step2', 'Dockerfile'), 'FROM step:1\nRUN exit 7\n');
  const failed = stratus(work, 'image', 'build', 'step2', '-t', 'step:3');
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /7/);
});
