import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareBusybox, RegistryProcess, registryAvailable } from '../images/testing.js';
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
