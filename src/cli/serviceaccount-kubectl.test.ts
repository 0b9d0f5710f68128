import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { eventually } from '../api/testing.js';
import { CliHarness } from './cli-harness.js';

// ServiceAccounts with the real kubectl: every namespace has `default`, `kubectl create token`
// asks the TokenRequest API for a signed, expiring token, the token is the ServiceAccount in RBAC,
// and it stops working when the ServiceAccount goes.

const skip = kubectlSkipReason() ?? false;
let h: CliHarness;

async function kubectl(
  args: string[],
  token?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runKubectl(
    h.dir,
    h.server.kubeconfigPath,
    token === undefined ? args : [`--token=${token}`, ...args],
  );
}

async function ok(args: string[], token?: string): Promise<string> {
  const r = await kubectl(args, token);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  if (skip) return;
  h = await CliHarness.start();
  await ok(['create', 'namespace', 'team']);
});
after(() => h?.close());

test(
  'every namespace gets a default ServiceAccount; kubectl create token gives it a working token',
  { skip },
  async () => {
    assert.ok(
      await eventually(
        async () => (await kubectl(['get', 'serviceaccount', 'default', '-n', 'team'])).code === 0,
      ),
      'the serviceaccount controller made team/default',
    );
    assert.match(await ok(['get', 'sa', '-n', 'team']), /^NAME\s+SECRETS\s+AGE\ndefault\s+0\s+/);
    await ok(['create', 'serviceaccount', 'robot', '-n', 'team']);
    const token = (await ok(['create', 'token', 'robot', '-n', 'team', '--duration', '15m'])).trim();
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      sub: string;
      exp: number;
      iat: number;
      aud: string[];
      'kubernetes.io': { namespace: string; serviceaccount: { name: string } };
    };
    assert.equal(payload.sub, 'system:serviceaccount:team:robot');
    assert.equal(payload.exp - payload.iat, 900);
    assert.deepEqual(payload.aud, ['https://kubernetes.default.svc.cluster.local']);
    const who = JSON.parse(await ok(['auth', 'whoami', '-o', 'json'], token)) as {
      status: { userInfo: { username: string; groups: string[] } };
    };
    assert.equal(who.status.userInfo.username, 'system:serviceaccount:team:robot');
    assert.deepEqual(who.status.userInfo.groups, [
      'system:serviceaccounts',
      'system:serviceaccounts:team',
      'system:authenticated',
    ]);
    // RBAC names it as a ServiceAccount subject.
    const denied = await kubectl(['get', 'pods', '-n', 'team'], token);
    assert.match(denied.stderr, /User "system:serviceaccount:team:robot" cannot list resource "pods"/);
    await ok([
      'create',
      'rolebinding',
      'robot-view',
      '--clusterrole=view',
      '--serviceaccount=team:robot',
      '-n',
      'team',
    ]);
    assert.ok(await eventually(async () => (await kubectl(['get', 'pods', '-n', 'team'], token)).code === 0));
    assert.equal((await kubectl(['get', 'pods', '-n', 'default'], token)).code, 1);
    // Too short a lifetime is refused with Kubernetes' message.
    const short = await kubectl(['create', 'token', 'robot', '-n', 'team', '--duration', '5m']);
    assert.match(short.stderr, /may not specify a duration less than 10 minutes/);
    // Deleting the ServiceAccount invalidates its tokens.
    await ok(['delete', 'serviceaccount', 'robot', '-n', 'team']);
    const gone = await kubectl(['get', 'pods', '-n', 'team'], token);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /Unauthorized|must be logged in/);
  },
);

test('a token bound to a pod stops working when the pod is deleted', { skip }, async () => {
  await ok(['run', 'holder', '--image=busybox', '-n', 'team', '--restart=Never', '--', 'sleep', '1']);
  const token = (
    await ok([
      'create',
      'token',
      'default',
      '-n',
      'team',
      '--bound-object-kind=Pod',
      '--bound-object-name=holder',
    ])
  ).trim();
  const who = JSON.parse(await ok(['auth', 'whoami', '-o', 'json'], token)) as {
    status: { userInfo: { extra: Record<string, string[]> } };
  };
  assert.deepEqual(who.status.userInfo.extra['authentication.kubernetes.io/pod-name'], ['holder']);
  await ok(['delete', 'pod', 'holder', '-n', 'team', '--grace-period=0', '--force']);
  const after = await kubectl(['auth', 'whoami'], token);
  assert.notEqual(after.code, 0);
});
