import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { CliHarness, EXAMPLES_DIR, OutputBuffer, collect } from './cli-harness.js';
import { join } from 'node:path';

let h: CliHarness;
before(async () => {
  h = await CliHarness.start();
  const r = await h.run(['apply', '-f', join(EXAMPLES_DIR, 'web.yaml')]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await h.close();
});

/** The header line of a table split into its column names and their start offsets. */
function columns(line: string): Array<[string, number]> {
  return [...line.matchAll(/\S+/g)].map((m) => [m[0], m.index ?? -1]);
}

test('get prints the server Table with kubectl spacing', async () => {
  const r = await h.run(['get', 'deploy']);
  assert.equal(r.code, 0, r.stderr);
  const [header, row, ...rest] = r.stdout.trimEnd().split('\n');
  assert.deepEqual(rest, []);
  assert.ok(header?.startsWith('NAME   '), header);
  assert.match(row ?? '', /^web {4}\S/);
  // Every column starts where its header starts, three spaces after the widest cell before it.
  const cols = columns(header ?? '');
  assert.ok(cols.some(([n]) => n === 'AGE'));
  for (const [, offset] of cols.slice(1)) assert.equal((row ?? '')[offset - 1], ' ');
});

test('several types print one table each, names prefixed; -A adds NAMESPACE', async () => {
  const r = await h.run(['get', 'deploy,svc']);
  assert.equal(r.code, 0, r.stderr);
  const blocks = r.stdout.split('\n\n');
  assert.equal(blocks.length, 2, r.stdout);
  assert.match(blocks[0] ?? '', /\ndeployment\.apps\/web /);
  assert.match(blocks[1] ?? '', /\nservice\/web /);
  const everything = await h.run(['get', 'all']);
  assert.equal(everything.code, 0, everything.stderr);
  assert.match(everything.stdout, /^service\/web /m);
  assert.match(everything.stdout, /^deployment\.apps\/web /m);
  assert.doesNotMatch(everything.stdout, /configmap/);
  const all = await h.run(['get', 'cm', '-A']);
  assert.equal(all.code, 0, all.stderr);
  // Every namespace holds kube-root-ca.crt, so the widest namespace sets the column.
  assert.match(all.stdout, /^NAMESPACE {9}NAME /);
  assert.match(all.stdout, /\ndefault {11}web-config /);
});

test('-o wide shows more columns than the default', async () => {
  const narrow = await h.run(['get', 'deploy', 'web']);
  const wide = await h.run(['get', 'deploy', 'web', '-o', 'wide']);
  assert.equal(wide.code, 0, wide.stderr);
  const n = columns(narrow.stdout.split('\n')[0] ?? '').map(([c]) => c);
  const w = columns(wide.stdout.split('\n')[0] ?? '').map(([c]) => c);
  assert.ok(w.length > n.length, `${w.join(' ')} vs ${n.join(' ')}`);
  for (const c of n) assert.ok(w.includes(c), c);
});

test('-o yaml and -o json print the object; lists become a List; -o name prints kind/name', async () => {
  const y = await h.run(['get', 'deploy', 'web', '-o', 'yaml']);
  assert.equal(y.code, 0, y.stderr);
  const obj = parse(y.stdout) as { kind: string; metadata: { name: string }; spec: { replicas: number } };
  assert.equal(obj.kind, 'Deployment');
  assert.equal(obj.spec.replicas, 3);
  const j = await h.run(['get', 'cm', '-o', 'json']);
  const list = JSON.parse(j.stdout) as {
    kind: string;
    items: Array<{ kind: string; metadata: { name: string } }>;
  };
  assert.equal(list.kind, 'List');
  assert.ok(list.items.some((i) => i.kind === 'ConfigMap' && i.metadata.name === 'web-config'));
  const names = await h.run(['get', 'deploy,svc', '-o', 'name', '-l', 'app=web']);
  assert.equal(names.stdout, 'deployment.apps/web\nservice/web\n');
});

test('an empty namespace says so on stderr; unknown types and missing objects are errors', async () => {
  const empty = await h.run(['get', 'deploy', '-n', 'kube-public']);
  assert.equal(empty.code, 0);
  assert.equal(empty.stdout, '');
  assert.equal(empty.stderr, 'No resources found in kube-public namespace.\n');
  const unknown = await h.run(['get', 'widgets']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'error: the server doesn\'t have a resource type "widgets"\n');
  const missing = await h.run(['get', 'deploy', 'nope']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Error from server (NotFound): deployments.apps "nope" not found\n');
});

test('get -w prints the list, then a row for each change, and exits 0 on SIGTERM', async () => {
  const child = h.spawn(['get', 'cm', '-w', '-l', 'watched=yes']);
  const done = collect(child, { timeoutMs: 60_000 });
  const out = new OutputBuffer(child.stdout);
  await h.client.create('cm', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'w1', labels: { watched: 'yes' } },
  });
  await out.waitFor(/^w1 /m);
  await h.client.create('cm', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'w2', labels: { watched: 'yes' } },
  });
  await out.waitFor(/^w2 /m);
  await h.client.delete('cm', 'w2');
  await out.waitFor(/^w2 [^]*^w2 /m);
  child.kill('SIGTERM');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('NAME ')).length, 1, r.stdout);
  assert.ok(!lines.some((l) => l.startsWith('web-config')));
});
