import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from './run-cli.js';

/** Runs the CLI in-process with captured streams (for the parts that need no server). */
async function run(args: string[], cwd = process.cwd()): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(args, { stdout, stderr, stdin: new PassThrough(), env: {}, cwd });
  return { code, out, err };
}

test('--help lists the commands and help COMMAND shows its flags', async () => {
  const all = await run(['--help']);
  assert.equal(all.code, 0);
  for (const c of ['up', 'server', 'apply', 'get', 'describe', 'delete', 'kubeconfig'])
    assert.match(all.out, new RegExp(`\\n  ${c} `));
  const get = await run(['help', 'get']);
  assert.equal(get.code, 0);
  assert.match(get.out, /--all-namespaces/);
  assert.match(get.out, /--kubeconfig PATH/);
  assert.equal((await run(['get', '--help'])).out, get.out);
});

test('unknown commands and flags are one error line, a pointer to help, and exit 1', async () => {
  const cmd = await run(['frobnicate']);
  assert.equal(cmd.code, 1);
  assert.equal(
    cmd.err,
    'error: unknown command "frobnicate" for "stratus"\nSee \'stratus --help\' for usage.\n',
  );
  const flag = await run(['get', 'pods', '--bogus']);
  assert.equal(flag.code, 1);
  assert.match(flag.err, /^error: Unknown option '--bogus'.*\nSee 'stratus help get' for usage\.\n$/);
  const output = await run(['get', 'pods', '-o', 'xml', '--kubeconfig', '/nonexistent']);
  assert.equal(output.code, 1);
  assert.match(output.err, /output format "xml"/);
});

test('a missing kubeconfig is named in the error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-cli-'));
  try {
    const r = await run(['get', 'pods', '--kubeconfig', join(dir, 'nope')], dir);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `error: Cannot read kubeconfig ${join(dir, 'nope')}: no such file (start a cloud with \`stratus up\`)\n`,
    );
    const k = await run(['kubeconfig', '--data-dir', dir], dir);
    assert.equal(k.code, 1);
    assert.match(k.err, /^error: no kubeconfig at .*\/kubeconfig/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
