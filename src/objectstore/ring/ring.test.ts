import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { addDevice, createRing, rebalance, removeDevice, ringBalance } from './ring-builder.js';
import { handoffDevices, partitionForHash, primaryDevices, type RingData, type RingDevice } from './ring.js';

const HOUR = 3_600_000;
const dev = (id: string, zone: string, weight = 1, node = id): RingDevice => ({
  id,
  zone,
  weight,
  node,
  region: 'r1',
});

function built(devices: RingDevice[], partPower = 10, replicas = 3): RingData {
  return rebalance(createRing(devices, { partPower, replicas }), 0).ring;
}

test('partitionForHash takes the top bits of the md5', () => {
  const md5 = createHash('md5').update('bucket/key').digest('hex');
  assert.equal(partitionForHash(md5, 10), parseInt(md5.slice(0, 8), 16) >>> 22);
  assert.equal(partitionForHash('ffffffff' + '0'.repeat(24), 10), 1023);
  assert.equal(partitionForHash('00000000' + 'f'.repeat(24), 10), 0);
});

test('R=3 over 3 zones puts every partition in all three zones', () => {
  const ring = built([
    dev('a1', 'a'),
    dev('a2', 'a'),
    dev('b1', 'b'),
    dev('b2', 'b'),
    dev('c1', 'c'),
    dev('c2', 'c'),
  ]);
  for (let p = 0; p < 1024; p++) {
    const zones = new Set(primaryDevices(ring, p).map((d) => d.zone));
    assert.equal(zones.size, 3, `partition ${p}`);
  }
});

test('weights are honored within a few percent', () => {
  const ring = built([
    dev('a1', 'a', 1),
    dev('a2', 'a', 2),
    dev('b1', 'b', 1),
    dev('b2', 'b', 2),
    dev('c1', 'c', 1),
    dev('c2', 'c', 2),
  ]);
  const bal = ringBalance(ring);
  assert.ok(bal.worstPercentOff < 3, `worst ${bal.worstPercentOff}%`);
  const a2 = bal.devices.find((d) => d.id === 'a2')!;
  assert.ok(Math.abs(a2.assigned - 2048 / 3) < 20);
});

test('adding a 4th device moves about a quarter, at most one replica per partition', () => {
  const ring = built([dev('a', 'a'), dev('b', 'b'), dev('c', 'c')]);
  const grown = addDevice(ring, dev('d', 'd'));
  const { ring: next, moved } = rebalance(grown, 10 * HOUR);
  const total = 3 * 1024;
  assert.ok(Math.abs(moved / total - 0.25) < 0.03, `moved ${moved} of ${total}`);
  for (let p = 0; p < 1024; p++) {
    let changed = 0;
    for (let r = 0; r < 3; r++) {
      const before = ring.devices[ring.assignment[r]![p]!]!.id;
      const after = next.devices[next.assignment[r]![p]!]!.id;
      if (before !== after) changed++;
    }
    assert.ok(changed <= 1, `partition ${p} moved ${changed} replicas`);
    assert.equal(new Set(primaryDevices(next, p).map((d) => d.id)).size, 3);
  }
  assert.ok(ringBalance(next).worstPercentOff < 3);
});

test('no partition moves twice within minPartHours', () => {
  const ring = built([dev('a', 'a'), dev('b', 'b'), dev('c', 'c')]);
  const first = rebalance(addDevice(ring, dev('d', 'd')), 10 * HOUR).ring;
  const second = rebalance(addDevice(first, dev('e', 'e')), 10 * HOUR + HOUR / 2);
  for (let p = 0; p < 1024; p++) {
    if (first.lastMoved[p] !== 10 * HOUR) continue;
    for (let r = 0; r < 3; r++) {
      assert.equal(
        second.ring.devices[second.ring.assignment[r]![p]!]!.id,
        first.devices[first.assignment[r]![p]!]!.id,
        `partition ${p} moved again inside the window`,
      );
    }
  }
  assert.ok(second.held > 0);
  const later = rebalance(second.ring, 12 * HOUR);
  assert.ok(later.moved > 0);
});

test('removing a device reassigns only its partitions', () => {
  const ring = built([dev('a', 'a'), dev('b', 'b'), dev('c', 'c'), dev('d', 'd')]);
  const { ring: next } = rebalance(removeDevice(ring, 'd'), 10 * HOUR);
  for (let p = 0; p < 1024; p++) {
    for (let r = 0; r < 3; r++) {
      const before = ring.devices[ring.assignment[r]![p]!]!.id;
      const after = next.devices[next.assignment[r]![p]!]!.id;
      if (before !== 'd') assert.equal(after, before);
      else assert.notEqual(after, 'd');
    }
  }
});

test('building is deterministic and handoffs are stable and exclude primaries', () => {
  const devs = [dev('a', 'a'), dev('b', 'b'), dev('c', 'c'), dev('d', 'a'), dev('e', 'b')];
  const one = built(devs);
  const two = built(devs);
  assert.deepEqual(one.assignment, two.assignment);
  const hand = handoffDevices(one, 7).map((d) => d.id);
  assert.deepEqual(
    hand,
    handoffDevices(two, 7).map((d) => d.id),
  );
  assert.equal(hand.length, 2);
  for (const p of primaryDevices(one, 7)) assert.ok(!hand.includes(p.id));
});
