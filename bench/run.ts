/**
 * `make bench`: runs the benchmark modules present in bench/ (all, or those named on the command
 * line: `node dist/bench/run.js api`) and prints one table of name, Stratus value, peer, ratio
 * and goal. A module that is not built yet is reported and skipped.
 */
import type { BenchResult } from './result.js';

/** A benchmark module: where it is and which export runs it. */
interface BenchModule {
  name: string;
  specifier: string;
  exportName: string;
}

/** The known benchmarks. Add one line per new bench/*.ts module. */
const REGISTRY: readonly BenchModule[] = [
  { name: 'api', specifier: './api.js', exportName: 'benchApi' },
  { name: 'api-cpu', specifier: './api-cpu.js', exportName: 'benchApiCpu' },
  { name: 'authz', specifier: './authz.js', exportName: 'benchAuthz' },
  { name: 'revocation', specifier: './token-revocation.js', exportName: 'benchTokenRevocation' },
  { name: 'etcd-store', specifier: './etcd-store.js', exportName: 'benchEtcdStore' },
  { name: 'cache', specifier: './watch-cache.js', exportName: 'benchWatchCache' },
  { name: 's3', specifier: './s3.js', exportName: 'benchS3' },
  { name: 's3-access', specifier: './s3-access.js', exportName: 'benchS3Access' },
  { name: 's3-list', specifier: './s3-list.js', exportName: 'benchS3List' },
  { name: 's3-rgw', specifier: './s3-rgw.js', exportName: 'benchS3Rgw' },
  { name: 's3-throughput', specifier: './s3-throughput.js', exportName: 'benchS3Throughput' },
  { name: 'store', specifier: '../src/store/testing/store-bench.js', exportName: 'benchStore' },
  { name: 'scheduler', specifier: './scheduler.js', exportName: 'benchScheduler' },
  { name: 'workloads', specifier: './workloads.js', exportName: 'benchWorkloads' },
  { name: 'scale', specifier: './scale.js', exportName: 'benchScale' },
  { name: 'connections', specifier: './connections.js', exportName: 'benchConnections' },
  { name: 'lb', specifier: './lb.js', exportName: 'benchLb' },
  { name: 'lb-reload', specifier: './lb-reload.js', exportName: 'benchLbReload' },
  { name: 'service-proxy', specifier: './service-proxy.js', exportName: 'benchServiceProxy' },
  { name: 'telemetry', specifier: './telemetry.js', exportName: 'benchTelemetry' },
  { name: 'telemetry-rss', specifier: './telemetry.js', exportName: 'benchUpRss' },
  { name: 'runc-start', specifier: './runc-start.js', exportName: 'benchRuncStart' },
  { name: 'runc-pods', specifier: './runc-pods.js', exportName: 'benchRuncPods' },
  { name: 'exec', specifier: './exec.js', exportName: 'benchExec' },
  { name: 'images', specifier: './images.js', exportName: 'benchImages' },
  { name: 'leader-failover', specifier: './leader-failover.js', exportName: 'benchLeaderFailover' },
  { name: 'usage', specifier: './usage.js', exportName: 'benchUsage' },
];

/** Formats results as a padded text table. */
function formatResults(results: readonly BenchResult[]): string {
  const num = (v: number): string =>
    Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  const rows = [
    ['BENCHMARK', 'STRATUS', 'PEER', 'RATIO', 'GOAL'],
    ...results.map((r) => [
      r.name,
      `${num(r.value)} ${r.unit}`,
      r.peer ? `${r.peer.name}: ${num(r.peer.value)} ${r.unit}` : '-',
      r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`,
      r.goal ?? '-',
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)) + 3) ?? [];
  return (
    rows
      .map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join(''))
      .join('\n') + '\n'
  );
}

async function main(names: string[]): Promise<number> {
  const unknown = names.filter((n) => !REGISTRY.some((m) => m.name === n));
  if (unknown.length > 0) {
    console.error(
      `unknown benchmark(s): ${unknown.join(', ')}; known: ${REGISTRY.map((m) => m.name).join(', ')}`,
    );
    return 1;
  }
  const selected = REGISTRY.filter((m) => names.length === 0 || names.includes(m.name));
  const results: BenchResult[] = [];
  let failed = false;
  for (const m of selected) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(m.specifier)) as Record<string, unknown>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
        console.error(`${m.name}: ${m.specifier} is not built yet, skipped`);
        continue;
      }
      throw err;
    }
    const run = mod[m.exportName];
    if (typeof run !== 'function') {
      console.error(`${m.name}: ${m.specifier} exports no ${m.exportName}()`);
      failed = true;
      continue;
    }
    console.error(`running ${m.name} …`);
    try {
      results.push(...(await (run as () => Promise<BenchResult[]>)()));
    } catch (err) {
      console.error(`${m.name} failed: ${(err as Error).stack ?? String(err)}`);
      failed = true;
    }
  }
  process.stdout.write(formatResults(results));
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
