import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { expandWorkloads, formatPlan, schedule } from '../../scheduler/index.js';
import { flagString, flagStrings, write, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { readManifests } from '../manifest-files.js';

/**
 * `stratus plan -f app.yaml`: where the pods of these manifests would land, and why, without
 * changing anything (Nomad's `job plan`). It expands Deployments, ReplicaSets and Pods into the
 * pods they would create, reads the nodes and the pods already bound, runs the scheduler's pure
 * `schedule()` and prints each decision. Exit 0 when every pod fits, 2 when some would not.
 */
export const planCommand: Command = {
  name: 'plan',
  summary: 'Show where the pods of manifests would be scheduled, changing nothing',
  usage: `Usage: stratus plan -f FILE|DIR|- [-f …] [-n NS] [--strategy binpack|spread]

  -f, --filename PATH   a manifest file, a folder of .yaml/.yml/.json files, or - for stdin
  --strategy NAME       binpack (default, fill the fullest node) or spread (the emptiest)

Exit status: 0 when every pod would be placed, 2 when some would not fit anywhere.`,
  options: {
    filename: { type: 'string', short: 'f', multiple: true },
    strategy: { type: 'string' },
  },
  async run(ctx, values, positionals) {
    const files = flagStrings(values, 'filename');
    if (files.length === 0) throw new UsageError('must specify -f', 'plan');
    if (positionals.length > 0)
      throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`, 'plan');
    const strategy = flagString(values, 'strategy') ?? 'binpack';
    if (strategy !== 'binpack' && strategy !== 'spread') {
      throw new UsageError(`--strategy must be "binpack" or "spread", not "${strategy}"`, 'plan');
    }
    const manifests = await readManifests(files, ctx.io.stdin);
    const planned = expandWorkloads(
      manifests.map((m) => m.object),
      ctx.globals.namespace === undefined ? {} : { namespace: ctx.globals.namespace },
    );
    const client = ctx.client();
    const [nodes, pods] = await Promise.all([
      client.list('nodes'),
      client.list('pods', { allNamespaces: true }),
    ]);
    const boundPods = (pods.items as Pod[]).filter(
      (p) => p.spec?.nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
    const placements = schedule(
      planned.map((p) => p.pod),
      { nodes: nodes.items as Node[], boundPods },
      { strategy },
    );
    await write(ctx.io.stdout, formatPlan(planned, placements, { nodeCount: nodes.items.length }));
    return placements.every((p) => p.node !== undefined) ? 0 : 2;
  },
};
