import type { ExplainResult } from '../../objectstore/index.js';
import { STORAGE_API_PREFIX } from '../../objectstore/index.js';
import { flagString, write, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { formatExplain } from '../storage-printer.js';
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
  summary: 'Explain where the cloud put something (explain object s3://BUCKET/KEY)',
  usage: `Usage: stratus explain object s3://BUCKET/KEY [--version-id V] [-o json]

  object       which devices hold each copy of an object, and whether each copy is healthy
  --version-id explain this version instead of the current one
  -o json      print the server's answer as JSON`,
  options: { 'version-id': { type: 'string' }, output: { type: 'string', short: 'o' } },
  async run(ctx, values, positionals) {
    const [what, target, ...rest] = positionals;
    if (what !== 'object')
      throw new UsageError(
        `unknown thing to explain "${what ?? ''}": use explain object s3://BUCKET/KEY`,
        'explain',
      );
    if (target === undefined) throw new UsageError('give the object: s3://BUCKET/KEY', 'explain');
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0] ?? ''}"`, 'explain');
    const json = outputJson(values['output']);
    const { bucket, key } = parseS3Url(target);
    const versionId = flagString(values, 'version-id');
    const { body } = await ctx.client().request<ExplainResult>('GET', `${STORAGE_API_PREFIX}/explain`, {
      query: { bucket, key, ...(versionId === undefined ? {} : { versionId }) },
    });
    await write(ctx.io.stdout, json ? JSON.stringify(body, null, 2) + '\n' : formatExplain(body));
    return 0;
  },
};
