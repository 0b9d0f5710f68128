/**
 * Server CPU per request of this build beside another build of Stratus, measured at the same
 * time on the same machine: the CRUD figures of `api-crud.ts` (TLS, then plain HTTP, each with
 * a watch open and after an untimed warm-up round) run against one `stratus server` of each
 * build at once, so that both see the same load from the rest of the machine. On a shared
 * machine that is the only fair before/after: runs minutes apart differed by 2× there.
 * `STRATUS_BASELINE=DIR` names the other build (a checkout with `make build` done, or a copy of
 * its `bin/`, `dist/` and `node_modules/`); without it this build runs alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as ApiModule from './api.js';
import type * as ReportModule from './api-crud-report.js';
import type { StratusCrud } from './api-crud-report.js';
import { OPS } from './api-crud.js';
import type * as ToolsModule from './api-tools.js';
import type { BenchResult } from './result.js';

/** The bench modules a build carries that this one uses. */
interface BuildBench {
  startStratus: typeof ApiModule.startStratus;
  measureStratusCrud: typeof ReportModule.measureStratusCrud;
  stop: typeof ToolsModule.stop;
}

async function loadBuild(root: string): Promise<BuildBench> {
  const from = (m: string): string => join(root, 'dist', 'bench', m);
  const api = (await import(from('api.js'))) as typeof ApiModule;
  const report = (await import(from('api-crud-report.js'))) as typeof ReportModule;
  const tools = (await import(from('api-tools.js'))) as typeof ToolsModule;
  return { startStratus: api.startStratus, measureStratusCrud: report.measureStratusCrud, stop: tools.stop };
}

async function measure(build: BuildBench, dir: string): Promise<StratusCrud> {
  const s = await build.startStratus(dir);
  try {
    return await build.measureStratusCrud(s, s.child.pid ?? 0);
  } finally {
    await build.stop(s.child);
  }
}

/** Runs this build (and the baseline, at the same time) and reports CPU per request of each. */
export async function benchApiCpu(): Promise<BenchResult[]> {
  const here = fileURLToPath(new URL('../..', import.meta.url));
  const baselineRoot = process.env.STRATUS_BASELINE;
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-api-cpu-'));
  try {
    const builds = [await loadBuild(here), ...(baselineRoot ? [await loadBuild(baselineRoot)] : [])];
    const [mine, base] = await Promise.all(builds.map((b, i) => measure(b, join(dir, `s${i}`))));
    if (mine === undefined) return [];
    const rows: BenchResult[] = [];
    for (const transport of ['tls', 'http'] as const) {
      for (const op of OPS) {
        const value = mine[transport].cpuUs?.[op] ?? 0;
        const before = base?.[transport].cpuUs?.[op];
        rows.push({
          name: `api server CPU per ${op} (${transport.toUpperCase()}, watch open)`,
          value,
          unit: 'µs',
          ...(before !== undefined
            ? { peer: { name: 'baseline', value: before }, ratio: before / value }
            : {}),
        });
      }
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
