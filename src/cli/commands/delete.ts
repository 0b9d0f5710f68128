import { groupResource, kindGroup, StatusError, type ResourceInfo } from '../../client/index.js';
import { flagBool, flagString, flagStrings, write, type Command } from '../command.js';
import { UsageError } from '../errors.js';
import { formatError } from '../format-error.js';
import { readManifests } from '../manifest-files.js';

/**
 * `stratus delete TYPE NAME… | TYPE/NAME… | -f FILE`: deletes objects (background propagation,
 * so owned objects go too) and prints `deployment.apps "web" deleted` for each, as kubectl does.
 */
export const deleteCommand: Command = {
  name: 'delete',
  summary: 'Delete objects by type and name, or those in manifests',
  usage: `Usage: stratus delete TYPE NAME… [flags]
       stratus delete TYPE/NAME… [flags]
       stratus delete -f FILE|DIR|- [flags]

  -f, --filename PATH      delete the objects in these manifests
  --ignore-not-found       treat a missing object as success
  --cascade=MODE           background (default), foreground or orphan
  --dry-run=server         only check that the delete would succeed`,
  options: {
    filename: { type: 'string', short: 'f', multiple: true },
    'ignore-not-found': { type: 'boolean' },
    cascade: { type: 'string' },
    'dry-run': { type: 'string' },
  },
  async run(ctx, values, positionals) {
    const client = ctx.client();
    const targets: Array<{ info: ResourceInfo; name: string; namespace?: string }> = [];
    const files = flagStrings(values, 'filename');
    if (files.length > 0) {
      if (positionals.length > 0) throw new UsageError('give either -f or TYPE NAME, not both', 'delete');
      for (const { object } of await readManifests(files, ctx.io.stdin)) {
        const info = await client.resolveKind(object.apiVersion ?? '', object.kind ?? '');
        const namespace = object.metadata.namespace ?? ctx.globals.namespace;
        targets.push({
          info,
          name: object.metadata.name ?? '',
          ...(namespace === undefined ? {} : { namespace }),
        });
      }
    } else {
      const [first, ...rest] = positionals;
      if (first === undefined)
        throw new UsageError('You must provide one or more resources by argument or filename.', 'delete');
      const pairs: Array<[string, string]> = first.includes('/')
        ? positionals.map((a) => a.split('/', 2) as [string, string])
        : rest.map((name) => [first, name]);
      if (pairs.length === 0)
        throw new UsageError(`resource(s) were provided, but no name was specified`, 'delete');
      for (const [type, name] of pairs) {
        const info = await client.resolve(type);
        targets.push({
          info,
          name,
          ...(ctx.globals.namespace === undefined ? {} : { namespace: ctx.globals.namespace }),
        });
      }
    }
    const cascade = flagString(values, 'cascade') ?? 'background';
    const policies = { background: 'Background', foreground: 'Foreground', orphan: 'Orphan' } as const;
    const propagationPolicy = policies[cascade as keyof typeof policies];
    if (!propagationPolicy)
      throw new UsageError(`--cascade must be background, foreground or orphan, not "${cascade}"`, 'delete');
    const dryRun = flagString(values, 'dry-run') === 'server';
    let failed = false;
    for (const t of targets) {
      try {
        await client.delete(t.info, t.name, {
          propagationPolicy,
          dryRun,
          ...(t.namespace === undefined ? {} : { namespace: t.namespace }),
        });
        await write(
          ctx.io.stdout,
          `${kindGroup(t.info)} "${t.name}" deleted${dryRun ? ' (server dry run)' : ''}\n`,
        );
      } catch (err) {
        if (err instanceof StatusError && err.reason === 'NotFound' && flagBool(values, 'ignore-not-found'))
          continue;
        failed = true;
        const shown =
          err instanceof StatusError && err.reason === 'NotFound' && !err.statusObject.message
            ? new StatusError(404, {
                reason: 'NotFound',
                message: `${groupResource(t.info)} "${t.name}" not found`,
              })
            : err;
        await write(ctx.io.stderr, formatError(shown));
      }
    }
    return failed ? 1 : 0;
  },
};
