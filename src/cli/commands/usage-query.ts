import { StatusError } from '../../client/index.js';
import type { Prices, SeriesInfo, UsageTotals } from '../../telemetry/index.js';
import type { CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import { parseGoDuration } from './duration-flag.js';

/** One item of the usage API's answer. */
export interface UsageApiItem {
  series: SeriesInfo;
  totals: UsageTotals;
  demand?: number[];
}

/** The usage API's answer. */
export interface UsageApiList {
  window: { from: number; to: number; step?: number };
  items: UsageApiItem[];
}

/** `--since`: days (`30d`) or a Go duration (`12h`, `90m`), in whole seconds. */
export function sinceSeconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const days = /^(\d+)d$/.exec(text);
  const ms = days !== null ? Number(days[1]) * 86_400_000 : parseGoDuration(text);
  if (ms === undefined || ms < 1000)
    throw new UsageError(`--since "${text}" is not a duration such as 30d or 12h`, 'usage');
  return Math.round(ms / 1000);
}

/** GETs usage records of a namespace (or all) with extra query parameters. */
export async function fetchUsage(
  ctx: CommandContext,
  namespace: string | undefined,
  query: Record<string, string>,
): Promise<UsageApiList> {
  const base = '/apis/usage.stratus.dev/v1';
  const path =
    namespace === undefined ? `${base}/usages` : `${base}/namespaces/${encodeURIComponent(namespace)}/usages`;
  return (await ctx.client().request<UsageApiList>('GET', path, { query })).body;
}

/**
 * The named PriceSheet's prices; when it is missing or unreadable, no prices (costs print as 0)
 * and a note on stderr naming why.
 */
export async function fetchPrices(
  ctx: CommandContext,
  name: string,
  note: (text: string) => Promise<void>,
): Promise<Prices | undefined> {
  try {
    const res = await ctx
      .client()
      .request<{ spec?: Prices }>(
        'GET',
        `/apis/billing.stratus.dev/v1/pricesheets/${encodeURIComponent(name)}`,
      );
    return res.body.spec ?? {};
  } catch (err) {
    if (err instanceof StatusError && (err.status === 404 || err.status === 403)) {
      await note(
        `note: PriceSheet "${name}" ${err.status === 404 ? 'not found' : 'not readable'}; costs are 0\n`,
      );
      return undefined;
    }
    throw err;
  }
}
