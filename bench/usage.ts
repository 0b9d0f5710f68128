/**
 * Usage metering and smoothness figures (issue 14): bytes per pod per day of usage records once
 * downsampled to their year-long 1 h resolution, in a real SQLite file, against the same points
 * as plain SQLite rows (one per pod and hour); and how long `stratus smoothness` takes over 100
 * workloads × 30 days at 5 min (records read from the usage database, resampled, sent as JSON,
 * analysed), against the JSON round trip of the same series alone.
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  SeededRandom,
  seriesDemand,
  smoothness,
  UsageDb,
  USAGE_TIERS,
  type UsagePoint,
} from '../src/telemetry/index.js';
import { feedSyntheticYear } from '../src/telemetry/usage-year-testing.js';
import type { BenchResult } from './result.js';

const PODS = 4;
const DAYS = 365;
const START = 1_767_225_600;
const WORKLOADS = 100;
const SMOOTH_DAYS = 30;

const fileBytes = (path: string): number => statSync(path).size;

/** Bytes per pod-day of a year of 1 h records, ours and as plain rows. */
async function recordBytes(dir: string): Promise<{ ours: number; rows: number }> {
  const hourly = USAGE_TIERS[2];
  if (hourly === undefined) throw new RangeError('no hourly tier');
  const path = join(dir, 'hourly.db');
  const db = UsageDb.open(path, { tiers: [{ ...hourly, retention: 400 * 86_400 }] });
  feedSyntheticYear(db, { pods: PODS, days: DAYS, start: START });
  const series = db.query({ from: START, to: START + DAYS * 86_400 });
  await db.close();
  const ours = fileBytes(path) / (PODS * DAYS);
  const peerPath = join(dir, 'rows.db');
  const peer = new Database(peerPath);
  peer.exec(`CREATE TABLE usage (series INTEGER, t INTEGER, seconds INTEGER, cpu_ms INTEGER, mem_kibs INTEGER,
    PRIMARY KEY (series, t)) WITHOUT ROWID`);
  const insert = peer.prepare('INSERT INTO usage VALUES (?, ?, ?, ?, ?)');
  peer.transaction(() => {
    series.forEach((s, k) => {
      for (const p of s.points) insert.run(k, p.t, p.values[0], p.values[1], p.values[2]);
    });
  })();
  peer.close();
  return { ours, rows: fileBytes(peerPath) / (PODS * DAYS) };
}

/** Milliseconds for smoothness over WORKLOADS × SMOOTH_DAYS, and for the JSON round trip alone. */
async function smoothnessTime(dir: string): Promise<{ total: number; json: number }> {
  const db = UsageDb.open(join(dir, 'smooth.db'));
  const rnd = new SeededRandom(5);
  const ids = Array.from({ length: WORKLOADS }, (_, k) =>
    db.series({
      uid: `w${k}`,
      kind: 'pod',
      namespace: 'bench',
      name: `w${k}`,
      owner: `Deployment/w${k}`,
      labels: {},
      cpuRequestMilli: 0,
      memRequestBytes: 0,
    }),
  );
  const end = START + SMOOTH_DAYS * 86_400;
  for (let d = 0; d < SMOOTH_DAYS; d++) {
    const day = START + d * 86_400;
    db.append(
      ids.map((series, k) => {
        const points: UsagePoint[] = [];
        for (let t = day; t < day + 86_400; t += 300) {
          const milli = Math.max(0, 100 + 50 * Math.sin((2 * Math.PI * t) / 86_400 + k) + rnd.normal(0, 20));
          points.push({ t, values: [300, Math.round(milli * 300), 100_000 * 300] });
        }
        return { series, points };
      }),
    );
  }
  db.compact(end);
  const started = performance.now();
  const found = db.query({ from: START, to: end, kind: 'pod' });
  const items = found.map((s) => ({
    name: s.info.name,
    values: seriesDemand(s.info, s.points, { from: START, to: end, step: 300, resource: 'cpu' }),
  }));
  const wire = JSON.stringify({ items });
  const parsed = (JSON.parse(wire) as { items: { name: string; values: number[] }[] }).items;
  const report = smoothness(parsed);
  const total = performance.now() - started;
  if (report.n !== WORKLOADS) throw new Error(`smoothness saw ${report.n} workloads`);
  const j0 = performance.now();
  JSON.parse(JSON.stringify({ items }));
  const json = performance.now() - j0;
  await db.close();
  return { total, json };
}

/** The usage benchmark's figures. */
export async function benchUsage(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-usage-'));
  try {
    const bytes = await recordBytes(dir);
    const time = await smoothnessTime(dir);
    return [
      {
        name: 'usage records bytes/pod/day (1 h, SQLite file)',
        value: bytes.ours,
        unit: 'B',
        peer: { name: 'plain SQLite rows', value: bytes.rows },
        ratio: bytes.ours / bytes.rows,
        goal: '<= 200 B',
      },
      {
        name: `smoothness ${WORKLOADS} workloads x ${SMOOTH_DAYS} d`,
        value: time.total,
        unit: 'ms',
        peer: { name: 'JSON round trip alone', value: time.json },
        ratio: time.total / time.json,
        goal: '<= 2000 ms',
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
