import type { KubeObject } from '../../common/kube-object.js';
import { StatusError } from '../../client/index.js';
import { topNodesTable, topPodsTable, type TopTable } from '../../telemetry/index.js';
import {
  flagBool,
  flagString,
  write,
  type Command,
  type CommandContext,
  type FlagValues,
} from '../command.js';
import { UsageError } from '../errors.js';
import { TablePrinter } from '../table-printer.js';

const USAGE = `Usage: stratus top nodes [NAME] [-l SELECTOR] [--show-capacity]
       stratus top pods [NAME] [-l SELECTOR] [-A] [--containers]

  Shows CPU (cores) and memory (bytes) in use, as kubectl top does, from the metrics.k8s.io API
  (each node's agent samples its pods every 15 s).
  -l, --selector SEL     only nodes or pods with these labels
  -A, --all-namespaces   pods of every namespace
  --containers           one row per container
  --show-capacity        node percentages of capacity instead of allocatable`;

const METRICS = '/apis/metrics.k8s.io/v1beta1';

/** kubectl top's headers keep their case (`CPU(cores)`), so they go in as a first row. */
function print(ctx: CommandContext, table: TopTable): Promise<void> {
  const columnDefinitions = table.headers.map((name) => ({
    name,
    type: 'string',
    format: '',
    description: '',
    priority: 0,
  }));
  const rows = [table.headers, ...table.rows].map((cells) => ({ cells }));
  return write(ctx.io.stdout, new TablePrinter().print({ columnDefinitions, rows }, { header: false }));
}

async function fetchMetrics(
  ctx: CommandContext,
  path: string,
  name: string | undefined,
  selector: string | undefined,
): Promise<KubeObject[]> {
  const query: Record<string, string> = selector === undefined ? {} : { labelSelector: selector };
  const res = await ctx
    .client()
    .request<KubeObject & { items?: KubeObject[] }>(
      'GET',
      name === undefined ? path : `${path}/${encodeURIComponent(name)}`,
      { query },
    );
  return name === undefined ? (res.body.items ?? []) : [res.body];
}

async function topNodes(ctx: CommandContext, values: FlagValues, name: string | undefined): Promise<number> {
  const selector = flagString(values, 'selector');
  const metrics = await fetchMetrics(ctx, `${METRICS}/nodes`, name, selector);
  const nodes = (await ctx.client().list('nodes', selector === undefined ? {} : { labelSelector: selector }))
    .items;
  if (metrics.length === 0) {
    await write(ctx.io.stderr, 'error: metrics not available yet\n');
    return 1;
  }
  await print(ctx, topNodesTable(metrics, nodes, flagBool(values, 'show-capacity')));
  return 0;
}

async function topPods(ctx: CommandContext, values: FlagValues, name: string | undefined): Promise<number> {
  const all = flagBool(values, 'all-namespaces');
  const namespace = ctx.globals.namespace ?? ctx.client().namespace;
  const path = all ? `${METRICS}/pods` : `${METRICS}/namespaces/${encodeURIComponent(namespace)}/pods`;
  const metrics = await fetchMetrics(ctx, path, name, flagString(values, 'selector'));
  if (metrics.length === 0) {
    await write(
      ctx.io.stderr,
      all ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`,
    );
    return 0;
  }
  await print(ctx, topPodsTable(metrics, { containers: flagBool(values, 'containers'), allNamespaces: all }));
  return 0;
}

/** `stratus top nodes|pods`: kubectl top's tables from the resource metrics API. */
export const topCommand: Command = {
  name: 'top',
  summary: 'Show CPU and memory use of nodes or pods (top nodes|pods)',
  usage: USAGE,
  options: {
    selector: { type: 'string', short: 'l' },
    'all-namespaces': { type: 'boolean', short: 'A' },
    containers: { type: 'boolean' },
    'show-capacity': { type: 'boolean' },
  },
  async run(ctx, values, positionals) {
    const [what, name, extra] = positionals;
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`, 'top');
    try {
      if (what === 'nodes' || what === 'node' || what === 'no') return await topNodes(ctx, values, name);
      if (what === 'pods' || what === 'pod' || what === 'po') return await topPods(ctx, values, name);
    } catch (err) {
      if (err instanceof StatusError && err.status === 404 && name !== undefined) {
        await write(ctx.io.stderr, `error: metrics not available yet for ${what} "${name}"\n`);
        return 1;
      }
      throw err;
    }
    throw new UsageError(`unknown top subcommand "${what ?? ''}": use nodes or pods`, 'top');
  },
};
