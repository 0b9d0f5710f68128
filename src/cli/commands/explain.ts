import type { ExplainResult } from '../../objectstore/index.js';
import { STORAGE_API_PREFIX } from '../../objectstore/index.js';
import { flagString, write, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { formatExplain } from '../storage-printer.js';
import { fetchServiceStats, formatServiceExplain } from './explain-service.js';
import { outputJson } from './storage.js';

/** Splits `s3://bucket/key` into its bucket and key; a UsageError names what is wrong. */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) throw new UsageError(`expected s3://BUCKET/KEY, got "${url}"`, 'explain');
  return { bucket: m[1] ?? '', key: m[2] ?? '' };
}

/**
 * `stratus explain object s3://bucket/key [--version-id V]`: which devices hold each copy of an
 * object (primary or handoff), whether each copy is healthy (ok, missing, corrupt, stale) and
 * where the bucket's index replicas are.
 */
export const explainCommand: Command = {
  name: 'explain',
  summary: 'Explain where the cloud put something (explain object s3://BUCKET/KEY, explain service NAME)',
  usage: `Usage: stratus explain object s3://BUCKET/KEY [--version-id V] [-o json]
       stratus explain service NAME [-n NAMESPACE] [-o json]

  object       which devices hold each copy of an object, and whether each copy is healthy
  service      a Service's addresses and, from each node's service proxy, its data plane,
               algorithm, open connections and every endpoint with its state, weight,
               requests, share of them and requests in flight
  --version-id explain this version instead of the current one
  -o json      print the server's answer as JSON`,
  options: { 'version-id': { type: 'string' }, output: { type: 'string', short: 'o' } },
  async run(ctx, values, positionals) {
    const [what, target, ...rest] = positionals;
    if (what !== 'object' && what !== 'service' && what !== 'svc')
      throw new UsageError(
        `unknown thing to explain "${what ?? ''}": use explain object s3://BUCKET/KEY or explain service NAME`,
        'explain',
      );
    if (target === undefined)
      throw new UsageError(
        what === 'object' ? 'give the object: s3://BUCKET/KEY' : 'give the Service name',
        'explain',
      );
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0] ?? ''}"`, 'explain');
    const json = outputJson(values['output']);
    if (what !== 'object') {
      const client = ctx.client();
      const svc = await client.get(
        'services',
        target,
        ctx.globals.namespace === undefined ? {} : { namespace: ctx.globals.namespace },
      );
      const stats = await fetchServiceStats(client, `${svc.metadata.namespace ?? ''}/${target}`);
      await write(
        ctx.io.stdout,
        json ? JSON.stringify({ service: svc, ...stats }, null, 2) + '\n' : formatServiceExplain(svc, stats),
      );
      return 0;
    }
    const { bucket, key } = parseS3Url(target);
    const versionId = flagString(values, 'version-id');
    const { body } = await ctx.client().request<ExplainResult>('GET', `${STORAGE_API_PREFIX}/explain`, {
      query: { bucket, key, ...(versionId === undefined ? {} : { versionId }) },
    });
    await write(ctx.io.stdout, json ? JSON.stringify(body, null, 2) + '\n' : formatExplain(body));
    return 0;
  },
};
