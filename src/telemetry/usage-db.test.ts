import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UsageDb } from './usage-db.js';
import { totals } from './usage-rollup.js';
import { feedSyntheticYear } from './usage-year-testing.js';

const dir = mkdtempSync(join(tmpdir(), 'usage-db-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const START = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY = 86_400;

/** Equal within a millionth: the hourly tier rounds to 0.1 cpu-second and 1 MiB-second. */
function near(got: number[], want: number[]): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) =>
    assert.ok(Math.abs(g - (want[i] ?? 0)) <= 1e-6 * (want[i] ?? 0), `${got.join()} vs ${want.join()}`),
  );
}

describe('usage records', () => {
  it('keep totals through a synthetic year of downsampling, within their size bound, across a reopen', async () => {
    const path = join(dir, 'year.db');
    let db = UsageDb.open(path);
    const pods = 2;
    const sums = feedSyntheticYear(db, { pods, days: 365, start: START });
    const year = db.query({ from: START, to: START + 365 * DAY, kind: 'pod' });
    assert.equal(year.length, pods);
    for (const s of year) {
      const k = Number(s.info.uid.slice('uid-'.length));
      near(totals(s.points, 3), sums[k] ?? []);
    }
    const stats = db.stats();
    assert.deepEqual(
      stats.map((s) => s.tier),
      [0, 1, 2],
    );
    const hourly = stats[2];
    assert.ok(hourly !== undefined);
    // each hourly chunk is 7 days; the key adds three integers (≤ 13 bytes) per row
    const perPodDay = (hourly.bytes + 13 * hourly.chunks) / (hourly.chunks * 7);
    assert.ok(perPodDay <= 200, `${perPodDay.toFixed(1)} bytes per pod per day after downsampling`);
    const before = stats.reduce((s, t) => s + t.bytes, 0);
    await db.close();

    db = UsageDb.open(path);
    const again = db.query({ from: START, to: START + 365 * DAY, kind: 'pod', namespace: 'a' });
    assert.equal(again.length, pods / 2);
    for (const s of again) {
      const k = Number(s.info.uid.slice('uid-'.length));
      near(totals(s.points, 3), sums[k] ?? []);
      assert.equal(s.info.owner, `Deployment/web-${k % 3}`);
    }
    // another month: the oldest weeks leave, the size stays bounded
    feedSyntheticYear(db, { pods, days: 30, start: START + 365 * DAY, seed: 2 });
    const later = db.stats().reduce((s, t) => s + t.bytes, 0);
    assert.ok(later < before * 1.1, `${later} bytes after 13 months vs ${before} after 12`);
    const first = db.query({ from: START, to: START + 14 * DAY });
    assert.ok(first.every((s) => s.points.every((p) => p.t >= START + 7 * DAY)));
    await db.close();
  });

  it('drops a series once all its chunks expired', async () => {
    const db = UsageDb.open(':memory:', {
      tiers: [
        { step: 15, retention: 60, chunk: 60 },
        { step: 60, retention: 120, chunk: 60 },
      ],
    });
    const id = db.series({
      uid: 'p',
      kind: 'pod',
      namespace: 'n',
      name: 'p',
      owner: 'Pod/p',
      labels: {},
      cpuRequestMilli: 0,
      memRequestBytes: 0,
    });
    db.append([{ series: id, points: [{ t: 0, values: [15, 1, 2] }] }]);
    db.compact(120);
    assert.deepEqual(
      db.stats().map((s) => s.tier),
      [1],
    );
    db.compact(240);
    assert.deepEqual(db.stats(), []);
    assert.deepEqual(db.query({ from: 0, to: 1000 }), []);
    await db.close();
  });
});
