import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openObjectStore } from './engine-store.js';
import { body } from './test-helpers.js';

test('access settings and object ACLs are stored with their rows, on every replica, and survive a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-engine-access-'));
  const devices = [0, 1, 2].map((i) => ({ id: `d${i}`, path: join(dir, `d${i}`), zone: `z${i}` }));
  try {
    let s = await openObjectStore({ devices, partPower: 6 });
    const created = await s.createBucket('acl', 'alice', { access: '{"acl":{"owner":"alice","grants":[]}}' });
    assert.equal(created.access, '{"acl":{"owner":"alice","grants":[]}}');
    await s.setBucketAccess('acl', '{"policy":"{}"}');
    await s.putObject('acl', 'k', body('v'), { size: 1, acl: '{"owner":"bob","grants":[]}' });
    await s.putObject('acl', 'plain', body('v'), { size: 1 });
    await s.putObjectAcl('acl', 'plain', '{"owner":"alice","grants":[1]}');
    const before = (await s.getBucket('acl'))!;
    await s.setVersioning('acl', 'Enabled');
    const after = (await s.getBucket('acl'))!;
    assert.notEqual(after.version, before.version, 'every change makes a new version (the cache key)');
    assert.equal(after.access, '{"policy":"{}"}', 'other changes keep the access settings');
    await s.close();
    // One device gone: the other replicas still hold everything.
    s = await openObjectStore({ devices: devices.slice(1), partPower: 6 });
    assert.equal((await s.getBucket('acl'))?.access, '{"policy":"{}"}');
    assert.equal((await s.headObject('acl', 'k')).acl, '{"owner":"bob","grants":[]}');
    assert.equal((await s.headObject('acl', 'plain')).acl, '{"owner":"alice","grants":[1]}');
    await s.copyObject({ bucket: 'acl', key: 'k' }, { bucket: 'acl', key: 'copy' }, {});
    assert.equal((await s.headObject('acl', 'copy')).acl, undefined, "a copy never takes its source's ACL");
    await s.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
