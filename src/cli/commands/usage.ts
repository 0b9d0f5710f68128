import { groupUsage, toCsv, usageCells, type GroupBy } from '../../telemetry/index.js';
import { flagString, write, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { TablePrinter } from '../table-printer.js';
import { fetchPrices, fetchUsage, sinceSeconds } from './usage-query.js';

const USAGE = `Usage: stratus usage [-n NAMESPACE] [--since 30d] [--by namespace|workload|label=KEY] [-o csv|json]

  Usage and cost from the metered records (pods every 15 s, buckets' storage and S3 traffic):
  cpu core-hours used and requested, memory GiB-hours used and requested, storage GiB-hours,
  S3 requests and bytes in and out, priced with a billing.stratus.dev/v1 PriceSheet.
  -n, --namespace NS     one namespace (default: every namespace you may read)
  --since DURATION       how far back: 30d (default), 12h, 90m
  --by GROUPING          namespace (default), workload, or label=KEY
  --price-sheet NAME     the PriceSheet to price with (default "default")
  -o, --output FORMAT    csv (RFC 4180, with a header row) or json`;

function parseBy(text: string | undefined): GroupBy {
  if (text === undefined || text === 'namespace') return { by: 'namespace' };
  if (text === 'workload') return { by: 'workload' };
  if (text.startsWith('label=') && text.length > 'label='.length) return { by: 'label', key: text.slice(6) };
  throw new UsageError(`--by "${text}" is not namespace, workload or label=KEY`, 'usage');
}

/** `stratus usage`: usage and cost per namespace, workload or label value. */
export const usageCommand: Command = {
  name: 'usage',
  summary: 'Show metered usage and its cost per namespace, workload or label',
  usage: USAGE,
  options: {
    since: { type: 'string' },
    by: { type: 'string' },
    'price-sheet': { type: 'string' },
    output: { type: 'string', short: 'o' },
  },
  async run(ctx, values, positionals) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'usage');
    const output = flagString(values, 'output');
    if (output !== undefined && output !== 'csv' && output !== 'json')
      throw new UsageError(`--output "${output}" is not csv or json`, 'usage');
    const by = parseBy(flagString(values, 'by'));
    const since = sinceSeconds(flagString(values, 'since'), 30 * 86_400);
    const list = await fetchUsage(ctx, ctx.globals.namespace, { since: String(since) });
    const prices =
      (await fetchPrices(ctx, flagString(values, 'price-sheet') ?? 'default', (t) =>
        write(ctx.io.stderr, t),
      )) ?? {};
    const rows = groupUsage(
      list.items.map((i) => ({ info: i.series, totals: i.totals })),
      by,
      prices,
    );
    const groupName = by.by === 'label' ? by.key : by.by;
    const cells = usageCells(rows, groupName);
    if (output === 'csv') return write(ctx.io.stdout, toCsv(cells)).then(() => 0);
    if (output === 'json') {
      const [header, ...body] = cells;
      const json = {
        window: list.window,
        currency: prices.currency ?? '',
        groupBy: groupName,
        rows: body.map((r) =>
          Object.fromEntries((header ?? []).map((h, i) => [h.toLowerCase(), r[i] ?? ''])),
        ),
      };
      return write(ctx.io.stdout, JSON.stringify(json, null, 2) + '\n').then(() => 0);
    }
    const columnDefinitions = (cells[0] ?? []).map((name) => ({
      name,
      type: 'string',
      format: '',
      description: '',
      priority: 0,
    }));
    await write(
      ctx.io.stdout,
      new TablePrinter().print(
        { columnDefinitions, rows: cells.map((c) => ({ cells: c })) },
        { header: false },
      ),
    );
    return 0;
  },
};
