import { kindGroup, StatusError, type KubeClient } from '../../client/index.js';
import type { KubeObject } from '../../common/kube-object.js';
import { flagString, flagStrings, write, type Command } from '../command.js';
import { ManifestError, UsageError } from '../errors.js';
import { readManifests } from '../manifest-files.js';
import type { Manifest } from '../manifests.js';
import { formatError } from '../format-error.js';

/**
 * `stratus apply -f FILE|DIR|-`: server-side apply of every object in the manifests, with field
 * manager `stratus` and conflicts forced, as the owner of the manifests expects. Reports each
 * object as `created`, `configured` or `unchanged` (a GET before the apply tells which), keeps
 * going past a failing object, and exits 1 if any failed.
 */
export const applyCommand: Command = {
  name: 'apply',
  summary: 'Create or update objects from manifests (server-side apply)',
  usage: `Usage: stratus apply -f FILE|DIR|- [-f …] [-n NS] [--dry-run=server]

  -f, --filename PATH   a manifest file, a folder of .yaml/.yml/.json files, or - for stdin
  --dry-run=server      validate and default on the server without storing anything
  --server-side         accepted for kubectl compatibility: apply is always server-side
  --field-manager NAME  the field manager (default: stratus)
  --force-conflicts     take over fields other managers own (default: true)`,
  options: {
    filename: { type: 'string', short: 'f', multiple: true },
    'dry-run': { type: 'string' },
    'server-side': { type: 'boolean' },
    'field-manager': { type: 'string' },
    'force-conflicts': { type: 'boolean' },
  },
  async run(ctx, values, positionals) {
    const files = flagStrings(values, 'filename');
    if (files.length === 0) throw new UsageError('must specify one of -f and -k', 'apply');
    if (positionals.length > 0)
      throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`, 'apply');
    const dryRunFlag = flagString(values, 'dry-run');
    if (dryRunFlag !== undefined && dryRunFlag !== 'server' && dryRunFlag !== 'none') {
      throw new UsageError(`--dry-run must be "server" or "none", not "${dryRunFlag}"`, 'apply');
    }
    const dryRun = dryRunFlag === 'server';
    const manifests = await readManifests(files, ctx.io.stdin);
    if (manifests.length === 0) throw new UsageError('no objects passed to apply', 'apply');
    const client = ctx.client();
    let failed = false;
    for (const manifest of manifests) {
      try {
        const line = await applyOne(client, manifest, {
          dryRun,
          fieldManager: flagString(values, 'field-manager') ?? 'stratus',
          ...(ctx.globals.namespace === undefined ? {} : { namespace: ctx.globals.namespace }),
        });
        await write(ctx.io.stdout, line + '\n');
      } catch (err) {
        failed = true;
        await write(ctx.io.stderr, formatError(withSource(err, manifest)));
      }
    }
    return failed ? 1 : 0;
  },
};

async function applyOne(
  client: KubeClient,
  manifest: Manifest,
  options: { dryRun: boolean; fieldManager: string; namespace?: string },
): Promise<string> {
  const object = structuredClone(manifest.object);
  const info = await client.resolveKind(object.apiVersion ?? '', object.kind ?? '');
  const name = object.metadata.name ?? '';
  if (name === '') {
    throw new ManifestError(
      `${object.kind ?? 'object'} in ${manifest.source} has no metadata.name: apply needs one`,
      manifest.source,
    );
  }
  if (info.namespaced) {
    const ns = object.metadata.namespace;
    if (ns !== undefined && options.namespace !== undefined && ns !== options.namespace) {
      throw new UsageError(
        `the namespace from the provided object "${ns}" does not match the namespace "${options.namespace}". You must pass '--namespace=${ns}' to perform this operation.`,
        'apply',
      );
    }
    object.metadata.namespace = ns ?? options.namespace ?? client.namespace;
  } else {
    delete object.metadata.namespace;
  }
  let before: KubeObject | undefined;
  try {
    before = await client.get(info, name, { namespace: object.metadata.namespace ?? '' });
  } catch (err) {
    if (!(err instanceof StatusError && err.reason === 'NotFound')) throw err;
  }
  const result = await client.apply(object, {
    fieldManager: options.fieldManager,
    force: true,
    dryRun: options.dryRun,
  });
  const verb =
    result.created || before === undefined
      ? 'created'
      : before.metadata.resourceVersion === result.object.metadata.resourceVersion
        ? 'unchanged'
        : 'configured';
  return `${kindGroup(info)}/${name} ${verb}${options.dryRun ? ' (server dry run)' : ''}`;
}

/** Server errors name the manifest they came from, as kubectl's `error when applying "FILE"`. */
function withSource(err: unknown, manifest: Manifest): unknown {
  if (!(err instanceof StatusError)) return err;
  const where = manifest.source === '-' ? 'STDIN' : manifest.source;
  return new StatusError(err.status, {
    ...err.statusObject,
    reason: err.reason,
    message: `error when applying "${where}": ${err.message}`,
  });
}
