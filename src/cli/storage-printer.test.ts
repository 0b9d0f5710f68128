import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStatus } from './storage-printer.js';

test('storage status shows the lifecycle worker: passes, where it resumes, what it did', () => {
  const text = formatStatus({
    devices: [],
    ring: { version: 1, partPower: 6, replicas: 1, worstPercentOff: 0 },
    auditor: {
      passes: 0,
      objectsChecked: 0,
      corruptFound: 0,
      bytesChecked: 0,
      lastPassObjects: 0,
      lastPassCorrupt: 0,
      inlineRepaired: 0,
      orphansRemoved: 0,
    },
    replicator: {
      passes: 0,
      partitionsScanned: 0,
      filesCopied: 0,
      bytesCopied: 0,
      indexesSynced: 0,
      handoffPartitionsRemoved: 0,
      corruptSkipped: 0,
      tombstonesReclaimed: 0,
      lastPassCopied: 0,
    },
    lifecycle: {
      passes: 3,
      sweeps: 1,
      keysScanned: 40,
      objectsExpired: 5,
      noncurrentDeleted: 2,
      markersRemoved: 1,
      uploadsAborted: 4,
      errors: 0,
      lastPassActions: 2,
      cursor: { bucket: 'logs', key: 'a/b' },
    },
  });
  assert.match(text, /passes: +3 \(1 full sweeps\) \(next: logs after "a\/b"\)/);
  assert.match(text, /expired: +5 objects, 2 noncurrent versions, 1 delete markers/);
  assert.match(text, /uploads aborted: 4/);
});
