import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  pool,
  smoothness,
  smoothnessSvg,
  smoothnessText,
  type SmoothnessReport,
} from '../../telemetry/index.js';
import { flagString, write, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { fetchPrices, fetchUsage, sinceSeconds } from './usage-query.js';

const USAGE = `Usage: stratus smoothness [-n NAMESPACE] [--since 7d] [--resource cpu|memory] [-o json] [--plot FILE.svg]

  The economics of pooling for your workloads' metered demand: per workload and pooled, mean,
  σ, Cv = σ/mean, peak and peak/average; the √n rule's prediction against the measured pooled
  Cv, the pairs that smooth each other or move together, the capacity each workload needs alone
  at its peak against the pool's peak, and the break-even utility premium (pooled peak/average)
  compared with the PriceSheet's utilityPremium.
  -n, --namespace NS     one namespace (default: every namespace you may read)
  --since DURATION       how far back: 7d (default), 24h, 30d
  --resource RESOURCE    cpu (default) or memory
  --step SECONDS         time resolution (default 300)
  --price-sheet NAME     the PriceSheet with the utility premium (default "default")
  -o, --output json      the report as JSON
  --plot FILE.svg        write a chart of demand over time with the pooled curve`;

/** `stratus smoothness`: how much pooling smooths the metered demand, and what it saves. */
export const smoothnessCommand: Command = {
  name: 'smoothness',
  summary: 'Show how pooling smooths workload demand (Cv, √n, peak/average, consolidation)',
  usage: USAGE,
  options: {
    since: { type: 'string' },
    resource: { type: 'string' },
    step: { type: 'string' },
    'price-sheet': { type: 'string' },
    output: { type: 'string', short: 'o' },
    plot: { type: 'string' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'smoothness');
    const output = flagString(values, 'output');
    if (output !== undefined && output !== 'json')
      throw new UsageError(`--output "${output}" is not json`, 'smoothness');
    const resource = flagString(values, 'resource') ?? 'cpu';
    if (resource !== 'cpu' && resource !== 'memory')
      throw new UsageError(`--resource "${resource}" is not cpu or memory`, 'smoothness');
    const step = Number(flagString(values, 'step') ?? '300');
    if (!Number.isInteger(step) || step < 15)
      throw new UsageError(
        `--step "${flagString(values, 'step')}" is not a whole number of seconds ≥ 15`,
        'smoothness',
      );
    const since = sinceSeconds(flagString(values, 'since'), 7 * 86_400);
    const list = await fetchUsage(ctx, ctx.globals.namespace, {
      since: String(since),
      kind: 'pod',
      resource,
      step: String(step),
    });
    // pods of one workload (replaced, scaled) add up to the workload's demand
    const byWorkload = new Map<string, number[]>();
    for (const item of list.items) {
      const key = `${item.series.namespace}/${item.series.owner}`;
      byWorkload.set(key, pool([byWorkload.get(key) ?? [], item.demand ?? []]));
    }
    const series = [...byWorkload.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([name, v]) => ({ name, values: v }));
    const prices = await fetchPrices(ctx, flagString(values, 'price-sheet') ?? 'default', () =>
      Promise.resolve(),
    );
    const premium = prices?.utilityPremium === undefined ? undefined : Number(prices.utilityPremium);
    const report: SmoothnessReport = smoothness(series);
    const pooled = pool(series.map((s) => s.values));
    const plot = flagString(values, 'plot');
    if (plot !== undefined) {
      const unit = resource === 'cpu' ? 'millicores' : 'bytes';
      await writeFile(
        resolve(ctx.io.cwd, plot),
        smoothnessSvg(series, pooled, { from: list.window.from, step, unit }),
      );
    }
    if (output === 'json') {
      const json = {
        window: list.window,
        resource,
        ...(premium !== undefined ? { utilityPremium: premium } : {}),
        ...report,
      };
      await write(ctx.io.stdout, JSON.stringify(json, null, 2) + '\n');
      return 0;
    }
    if (series.length === 0) {
      await write(ctx.io.stderr, 'No usage recorded in this window.\n');
      return 0;
    }
    await write(
      ctx.io.stdout,
      smoothnessText(report, {
        resource,
        series: series.map((s) => s.values),
        pooled,
        ...(premium !== undefined ? { premium } : {}),
      }),
    );
    return 0;
  },
};
