/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- tests read JSON replies by path */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestCluster, type TestCluster } from '../testing.js';
import { parsePodCidrs, podCidrAt, podCidrOffset } from './pod-cidrs.js';

test('the cluster CIDR cut into node blocks', () => {
  const r = parsePodCidrs('10.244.0.0/16');
  assert.equal(r.size, 256);
  assert.equal(podCidrAt(r, 0), '10.244.0.0/24');
  assert.equal(podCidrAt(r, 255), '10.244.255.0/24');
  assert.equal(podCidrOffset(r, '10.244.7.0/24'), 7);
  assert.equal(podCidrOffset(r, '10.245.0.0/24'), undefined);
  assert.equal(podCidrOffset(r, '10.244.7.0/25'), undefined);
  assert.throws(() => parsePodCidrs('10.0.0.0/8', 26), { code: 'API_CLUSTER_CIDR_INVALID' });
  assert.throws(() => parsePodCidrs('10.0.0.0/16', 8), { code: 'API_CLUSTER_CIDR_INVALID' });
  assert.throws(() => parsePodCidrs('fd00::/48'), /not an IPv4 CIDR/);
});

const node = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec,
});

async function podCidrOf(c: TestCluster, name: string): Promise<string | undefined> {
  const r = await c.call('GET', `/api/v1/nodes/${name}`);
  return r.body?.spec?.podCIDR;
}

test('each Node gets its own pod range, kept on update, freed on delete, across restarts', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-podcidr-'));
  let c = await startTestCluster({ dataDir });
  try {
    const a = await c.call('POST', '/api/v1/nodes', { body: node('a') });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.body.spec.podCIDR, '10.244.0.0/24');
    assert.deepEqual(a.body.spec.podCIDRs, ['10.244.0.0/24']);
    const b = await c.call('POST', '/api/v1/nodes', { body: node('b') });
    assert.equal(b.body.spec.podCIDR, '10.244.1.0/24');
    const asked = await c.call('POST', '/api/v1/nodes', { body: node('x', { podCIDR: '10.244.1.0/24' }) });
    assert.equal(asked.status, 422);
    assert.match(
      asked.body.message,
      /spec\.podCIDR: Invalid value: "10\.244\.1\.0\/24": provided pod CIDR is already allocated/,
    );
    const dry = await c.call('POST', '/api/v1/nodes?dryRun=All', { body: node('dry') });
    assert.equal(dry.body.spec.podCIDR, '10.244.2.0/24');

    // An update that leaves the range out keeps it; one that changes it is refused.
    const put = await c.call('PUT', '/api/v1/nodes/b', { body: { ...node('b'), metadata: b.body.metadata } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.spec.podCIDR, '10.244.1.0/24');
    const moved = await c.call('PATCH', '/api/v1/nodes/b', {
      body: { spec: { podCIDR: '10.244.9.0/24' } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(moved.status, 422);
    assert.match(moved.body.message, /may not change podCIDR/);

    await c.call('DELETE', '/api/v1/nodes/a');
    const c0 = await c.call('POST', '/api/v1/nodes', { body: node('c', { podCIDR: '10.244.0.0/24' }) });
    assert.equal(c0.status, 201, "a's range is free once a is deleted");
    assert.equal(await podCidrOf(c, 'c'), '10.244.0.0/24');

    await c.close();
    c = await startTestCluster({ dataDir });
    const d = await c.call('POST', '/api/v1/nodes', { body: node('d') });
    assert.equal(d.body.spec.podCIDR, '10.244.2.0/24', 'after a restart no range is given twice');
    await c.call('DELETE', '/api/v1/nodes/b');
    const e = await c.call('POST', '/api/v1/nodes', { body: node('e', { podCIDR: '10.244.1.0/24' }) });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    const f = await c.call('POST', '/api/v1/nodes', { body: node('f') });
    assert.equal(f.body.spec.podCIDR, '10.244.3.0/24');
  } finally {
    await c.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
