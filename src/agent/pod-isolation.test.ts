import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { nodePod, startAgentCluster, waitForLog, waitForPod, type AgentCluster } from './agent-testing.js';
import { POD_ID_BASE, POD_ID_BLOCK } from './pod-ids.js';

// Pods must not own the host: as root, the agent runs each pod as its own unprivileged ids in a
// mount namespace where only the pod's folder exists, so neither the admin kubeconfig nor
// state.db can be read, while its ServiceAccount token (projected, renewed) works against the API.

const notRoot = process.getuid?.() !== 0;
if (notRoot && process.env['CI'] === 'true') throw new Error('the isolation tests need root under CI');
const skip = notRoot ? 'pods run as their own users only when the agent is root' : false;

/** A pod script that reports who it is, what it can read, and who its token says it is. */
const PROBE = `
const fs = require('fs'), https = require('https'), path = require('path');
const tryRead = (p) => { try { fs.readFileSync(p); return 'read'; } catch (e) { return e.code; } };
const dir = process.env.STRATUS_SERVICEACCOUNT_DIR;
const token = fs.readFileSync(path.join(dir, 'token'), 'utf8');
fs.writeFileSync(path.join(process.env.HOME, 'mine'), 'x');
const req = https.request({
  host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, method: 'POST',
  path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', ca: fs.readFileSync(path.join(dir, 'ca.crt')),
  headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
}, (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => {
  console.log('REPORT ' + JSON.stringify({ uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(),
    kubeconfig: tryRead(process.argv[1]), state: tryRead(process.argv[2]), agentDir: tryRead(process.argv[3]),
    namespace: fs.readFileSync(path.join(dir, 'namespace'), 'utf8'), who: JSON.parse(b).status.userInfo }));
  setInterval(() => {}, 1000); }); });
req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));
`;

describe('pod isolation on the process runtime', { skip }, () => {
  let c: AgentCluster;
  before(async () => {
    c = await startAgentCluster();
    await c.agent('n1');
  });
  after(() => c?.close());

  it('runs a pod as its own ids, unable to read the kubeconfig or state.db, with a working token', async () => {
    const dataDir = join(c.dir, 'server');
    const pod = nodePod('probe', 'n1', PROBE);
    (pod.spec as { containers: Array<{ args?: string[] }> }).containers[0]!.args = [
      join(dataDir, 'kubeconfig'),
      join(dataDir, 'state.db'),
      join(c.dir, 'agent-n1', 'agent-secret'),
    ];
    await c.client.create('pods', pod);
    const log = await waitForLog(c, 'probe', /REPORT /);
    const report = JSON.parse(/REPORT (.*)/.exec(log)?.[1] ?? '{}') as Record<string, unknown> & {
      uid: number;
      gid: number;
      groups: number[];
      who: { username: string; groups: string[]; extra: Record<string, string[]> };
    };
    assert.ok(
      report.uid >= POD_ID_BASE && report.uid < POD_ID_BASE + 0x1000 * POD_ID_BLOCK,
      `uid ${report.uid}`,
    );
    assert.equal(report.gid, report.uid, 'gid is the block too');
    assert.ok(report.groups.includes(report.uid - (report.uid % POD_ID_BLOCK)));
    assert.notEqual(report.kubeconfig, 'read');
    assert.notEqual(report.state, 'read');
    assert.notEqual(report.agentDir, 'read');
    assert.equal(report.namespace, 'default');
    assert.equal(report.who.username, 'system:serviceaccount:default:default');
    assert.deepEqual(report.who.groups, [
      'system:serviceaccounts',
      'system:serviceaccounts:default',
      'system:authenticated',
    ]);
    assert.deepEqual(report.who.extra['authentication.kubernetes.io/pod-name'], ['probe']);
  });

  it('runs a second pod with other ids, and runAsUser within the pod block', async () => {
    await c.client.create(
      'pods',
      nodePod(
        'other',
        'n1',
        "console.log('IDS ' + process.getuid() + ' ' + process.getgid()); setInterval(() => {}, 1000)",
        {},
        { securityContext: { runAsUser: 1000, runAsGroup: 2000 } },
      ),
    );
    const log = await waitForLog(c, 'other', /IDS \d+ \d+/);
    const [uid, gid] = (/IDS (\d+) (\d+)/.exec(log) ?? []).slice(1).map(Number);
    const first = JSON.parse(/REPORT (.*)/.exec(await waitForLog(c, 'probe', /REPORT /))?.[1] ?? '{}') as {
      uid: number;
    };
    const block = (uid ?? 0) - 1000;
    assert.notEqual(block, first.uid, 'each pod has its own block');
    assert.equal(block % POD_ID_BLOCK, 0);
    assert.equal(gid, block + 2000);
  });

  it('refuses runAsUser outside the pod block with CreateContainerConfigError', async () => {
    await c.client.create(
      'pods',
      nodePod('huge', 'n1', 'setInterval(() => {}, 1000)', { securityContext: { runAsUser: 70000 } }),
    );
    const pod = await waitForPod(c.client, 'huge', (p) =>
      JSON.stringify(p.status ?? {}).includes('CreateContainerConfigError'),
    );
    assert.match(JSON.stringify(pod.status), /runAsUser 70000 is outside the 65536 ids a pod has/);
  });
});
