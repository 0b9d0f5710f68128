import type { EngineStatus, RingView } from '../../objectstore/index.js';
import { STORAGE_API_PREFIX } from '../../objectstore/index.js';
import { write, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { formatRing, formatStatus } from '../storage-printer.js';

/**
 * `stratus storage ring|status`: the object store's placement ring (devices, weights,
 * partitions assigned vs desired, balance) and its health (devices, auditor and replicator
 * progress), read from the API server's storage views with the kubeconfig's credentials.
 */
export const storageCommand: Command = {
  name: 'storage',
  summary: "Show the object store's ring and health (storage ring|status)",
  usage: `Usage: stratus storage ring [-o json]
       stratus storage status [-o json]

  ring       devices of the placement ring: zone, weight, partitions held vs desired, balance
  status     device health and free space, auditor and replicator progress
  -o json    print the server's answer as JSON`,
  options: { output: { type: 'string', short: 'o' } },
  async run(ctx, values, positionals) {
    const [what, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0] ?? ''}"`, 'storage');
    const json = outputJson(values['output']);
    const path =
      what === 'ring'
        ? `${STORAGE_API_PREFIX}/ring`
        : what === 'status'
          ? `${STORAGE_API_PREFIX}/storagestatus`
          : undefined;
    if (path === undefined)
      throw new UsageError(`unknown storage subcommand "${what ?? ''}": use ring or status`, 'storage');
    const { body } = await ctx.client().request<RingView & EngineStatus>('GET', path);
    await write(
      ctx.io.stdout,
      json ? JSON.stringify(body, null, 2) + '\n' : what === 'ring' ? formatRing(body) : formatStatus(body),
    );
    return 0;
  },
};

/** True for `-o json`, false when no -o was given; other formats are a UsageError. */
export function outputJson(value: unknown): boolean {
  if (value === undefined) return false;
  if (value === 'json') return true;
  throw new UsageError(`unsupported output format "${typeof value === 'string' ? value : ''}": use -o json`);
}
