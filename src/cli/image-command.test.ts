import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareBusybox } from '../images/testing.js';
import { MAIN_JS } from './cli-harness.js';

function stratus(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN_JS, ...args], { cwd, encoding: 'utf8' });
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
