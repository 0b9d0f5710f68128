import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultReserveBytes } from '../common/disk-space.js';
import { reserveForStore } from './store-reserve.js';

test("devices on the state database's file system keep the store's reserve free as well", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-reserve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'dev0'));
  mkdirSync(join(dir, 'dev1'));
  const fs = statfsSync(dir);
  const own = defaultReserveBytes(fs.blocks * fs.bsize);
  const devices = [
    { id: 'dev0', path: join(dir, 'dev0') },
    { id: 'dev1', path: join(dir, 'dev1'), reserveBytes: 10 },
    { id: 'gone', path: join(dir, 'not-mounted') },
  ];
  const got = reserveForStore(devices, join(dir, 'state.db'), 1000);
  assert.equal(got[0]?.reserveBytes, own + 1000);
  assert.equal(got[1]?.reserveBytes, 1010);
  assert.equal(got[2]?.reserveBytes, undefined, 'a missing folder is left as given');
  assert.deepEqual(reserveForStore(devices, join(dir, 'state.db'), 0), devices);

  const other = '/dev/shm';
  if (statSync(other, { throwIfNoEntry: false })?.dev !== statSync(dir).dev) {
    const elsewhere = reserveForStore([{ id: 'shm', path: other }], join(dir, 'state.db'), 1000);
    assert.equal(
      elsewhere[0]?.reserveBytes,
      undefined,
      'a device on another file system keeps its own reserve',
    );
  }
});
