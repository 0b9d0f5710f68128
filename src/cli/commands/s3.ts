import { chmod, rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ACCESS_KEY_USER_LABEL, accessKeyUserLabel } from '../../common/access-key-label.js';
import { accessKeyObject, credentialsIni, generateAccessKey } from '../../objectstore/s3/index.js';
import { flagString, write, type Command, type CommandContext, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';
import { TablePrinter } from '../table-printer.js';

const ACCESS_KEYS = 'accesskeys.iam.stratus.dev';

const USAGE = `Usage: stratus s3 keys create [--user USER] [--write-credentials FILE]
       stratus s3 keys list [--user USER]
       stratus s3 keys delete ACCESS_KEY_ID…

  keys create               make a new S3 access key pair for USER (default: yourself) and print it;
                            a key for another user needs the right to impersonate that user
  keys list                 list access key ids and their users (never the secrets)
  keys delete               delete access keys; S3 requests signed with them fail at once
  --user USER               the user the key acts as (create), or only that user's keys (list)
  --write-credentials FILE  also write the pair as an aws-cli credentials file (mode 0600)`;

async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

async function createKey(ctx: CommandContext, values: FlagValues): Promise<number> {
  const wanted = flagString(values, 'user');
  if (wanted?.trim() === '') throw new UsageError('--user must not be empty', 's3');
  const key = generateAccessKey(wanted ?? '');
  const object = accessKeyObject(key);
  // Without --user the server makes the key the requester's own.
  if (wanted === undefined) {
    delete (object.spec as { user?: string }).user;
    delete object.metadata.labels;
  }
  const created = await ctx.client().create(ACCESS_KEYS, object);
  const user = (created.spec as { user?: string } | undefined)?.user ?? wanted ?? '';
  key.user = user;
  const file = flagString(values, 'write-credentials');
  if (file !== undefined) await writePrivate(resolve(ctx.io.cwd, file), credentialsIni(key));
  await write(
    ctx.io.stdout,
    `Created access key ${key.accessKeyId} for user "${user}".\n\n` +
      `  aws_access_key_id     = ${key.accessKeyId}\n` +
      `  aws_secret_access_key = ${key.secretAccessKey}\n\n` +
      (file === undefined ? '' : `Wrote them to ${file} (mode 0600) as the [default] profile.\n`) +
      `Keep the secret safe: whoever holds it acts as "${user}" in S3.\n`,
  );
  return 0;
}

/** Selects a user's keys by their label; for a name no label can hold, the keys without one. */
function userSelector(user: string): string {
  const label = accessKeyUserLabel(user);
  return label === undefined ? `!${ACCESS_KEY_USER_LABEL}` : `${ACCESS_KEY_USER_LABEL}=${label}`;
}

async function listKeys(ctx: CommandContext, values: FlagValues): Promise<number> {
  const user = flagString(values, 'user');
  const table = await ctx
    .client()
    .table(ACCESS_KEYS, user === undefined ? {} : { labelSelector: userSelector(user) });
  if (table.rows.length === 0) {
    await write(ctx.io.stderr, 'No access keys found.\n');
    return 0;
  }
  const columns = table.columnDefinitions.map((c) =>
    c.name.toLowerCase() === 'name' ? { ...c, name: 'Access Key ID' } : c,
  );
  await write(ctx.io.stdout, new TablePrinter().print({ columnDefinitions: columns, rows: table.rows }));
  return 0;
}

async function deleteKeys(ctx: CommandContext, ids: string[]): Promise<number> {
  if (ids.length === 0)
    throw new UsageError('give the access key id to delete: stratus s3 keys delete ID', 's3');
  for (const id of ids) {
    await ctx.client().delete(ACCESS_KEYS, id);
    await write(ctx.io.stdout, `access key "${id}" deleted\n`);
  }
  return 0;
}

/**
 * `stratus s3 keys create|list|delete`: manages S3 access keys as `iam.stratus.dev/v1`
 * AccessKey objects through the API. The pair is generated here, client-side, so the secret
 * travels once (in the create request) and is printed once; the S3 gateway watches the keys, so
 * a new key works and a deleted one stops working at once.
 */
export const s3Command: Command = {
  name: 's3',
  summary: 'Manage S3 access keys (s3 keys create|list|delete)',
  usage: USAGE,
  options: {
    user: { type: 'string' },
    'write-credentials': { type: 'string' },
  },
  async run(ctx, values, positionals) {
    const [group, verb, ...rest] = positionals;
    if (group !== 'keys') throw new UsageError(`unknown s3 subcommand "${group ?? ''}": use "s3 keys"`, 's3');
    switch (verb) {
      case 'create':
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0] ?? ''}"`, 's3');
        return createKey(ctx, values);
      case 'list':
      case 'ls':
        return listKeys(ctx, values);
      case 'delete':
      case 'rm':
        return deleteKeys(ctx, rest);
      default:
        throw new UsageError(`unknown verb "${verb ?? ''}" for "s3 keys": use create, list or delete`, 's3');
    }
  },
};
