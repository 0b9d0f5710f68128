import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ACCESS_KEY_USER_LABEL, accessKeyUserLabel } from '../../common/access-key-label.js';
import {
  kubeconfigText,
  newToken,
  parseTokenSecret,
  TOKEN_LABEL,
  TOKEN_NAMESPACE,
  tokenId,
  hashToken,
  tokenSecret,
  writeKubeconfig,
} from '../../identity/index.js';
import {
  flagString,
  flagStrings,
  write,
  type Command,
  type CommandContext,
  type FlagValues,
} from '../command.js';
import { UsageError } from '../errors.js';
import { parseGoDuration } from './duration-flag.js';

/** How long a user's token lives unless `--ttl` says otherwise: 30 days. */
export const DEFAULT_TOKEN_TTL = '720h';

const USAGE = `Usage: stratus user create NAME [--group GROUP]... [--ttl DURATION] [--kubeconfig-out FILE]
       stratus user delete NAME

  create NAME           issue a bearer token for user NAME (needs system:masters, as the admin has)
  --group GROUP         a group the user is in (repeat for several); RBAC bindings name users and groups
  --ttl DURATION        how long the token is valid, as a Go duration (default ${DEFAULT_TOKEN_TTL}; 0 = never expires)
  --kubeconfig-out FILE write a kubeconfig for the user (mode 0600) with the current cluster's server
                        and CA, instead of printing the token

  delete NAME           remove a user: revoke every token naming them and delete their S3 access keys
                        (a user exists while an unexpired token names them)

Grant the user rights with RBAC, e.g.
  kubectl create rolebinding NAME-edit --clusterrole=edit --user=NAME -n NAMESPACE`;

function ttlMs(values: FlagValues): number | undefined {
  const text = flagString(values, 'ttl') ?? DEFAULT_TOKEN_TTL;
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < 0)
    throw new UsageError(`--ttl must be a duration such as 720h or 30m, not "${text}"`, 'user');
  return ms === 0 ? undefined : ms;
}

async function createUser(ctx: CommandContext, values: FlagValues, name: string): Promise<number> {
  const groups = flagStrings(values, 'group');
  for (const g of groups) if (g.trim() === '') throw new UsageError('--group must not be empty', 'user');
  const ttl = ttlMs(values);
  const token = newToken();
  const client = ctx.client();
  const secret = tokenSecret(
    token,
    { username: name, groups },
    {
      description: `user ${name}`,
      ...(ttl !== undefined ? { ttlMs: ttl } : {}),
    },
  );
  await client.create('secrets', secret, { namespace: 'kube-system' });
  const expires =
    ttl === undefined
      ? 'never expires'
      : `expires ${new Date(Date.now() + ttl).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
  const id = tokenId(hashToken(token));
  const out = flagString(values, 'kubeconfig-out');
  if (out === undefined) {
    await write(ctx.io.stdout, `${token}\n`);
    await write(ctx.io.stderr, `Created token ${id} for user "${name}" (${expires}).\n`);
    return 0;
  }
  const cluster = client.config;
  let ca = cluster.certificateAuthorityData;
  if (ca === undefined && cluster.certificateAuthority !== undefined)
    ca = await readFile(cluster.certificateAuthority, 'utf8');
  const path = resolve(ctx.io.cwd, out);
  await writeKubeconfig(
    path,
    kubeconfigText(cluster.server, token, {
      ...(ca !== undefined ? { caCert: ca } : {}),
      user: name,
      context: `stratus-${name}`,
    }),
  );
  await write(
    ctx.io.stdout,
    `Created token ${id} for user "${name}" (${expires}).\nWrote ${out} (mode 0600): KUBECONFIG=${out} kubectl auth whoami\n`,
  );
  return 0;
}

/**
 * `user delete NAME`: a user is whoever holds a token naming them, so removing one is revoking
 * every such token; their S3 access keys go too (the gateway already refuses them).
 */
async function deleteUser(ctx: CommandContext, name: string): Promise<number> {
  const client = ctx.client();
  const secrets = await client.list('secrets', {
    namespace: TOKEN_NAMESPACE,
    labelSelector: `${TOKEN_LABEL}=true`,
  });
  const tokens = secrets.items.filter((s) => parseTokenSecret(s)?.user.username === name);
  for (const t of tokens)
    await client.delete('secrets', t.metadata.name ?? '', { namespace: TOKEN_NAMESPACE });
  const label = accessKeyUserLabel(name);
  const keys = await client.list(
    'accesskeys.iam.stratus.dev',
    label === undefined ? {} : { labelSelector: `${ACCESS_KEY_USER_LABEL}=${label}` },
  );
  const own = keys.items.filter((k) => (k.spec as { user?: string } | undefined)?.user === name);
  for (const k of own) await client.delete('accesskeys.iam.stratus.dev', k.metadata.name ?? '');
  if (tokens.length === 0 && own.length === 0)
    throw new UsageError(`no token or access key names user "${name}"`, 'user');
  await write(
    ctx.io.stdout,
    `user "${name}" removed: ${tokens.length} token(s) revoked, ${own.length} access key(s) deleted\n`,
  );
  return 0;
}

/**
 * `stratus user create NAME`: issues a token for a user and groups, stored only as its hash in
 * a `stratus.dev/token` Secret created through the API (which only system:masters may do), and
 * writes a kubeconfig for it with the current cluster's server and CA. What the user may do is
 * RBAC's business: bind them to roles.
 */
export const userCommand: Command = {
  name: 'user',
  summary: 'Create a user token and kubeconfig, or remove a user (user create|delete NAME)',
  usage: USAGE,
  options: {
    group: { type: 'string', multiple: true },
    ttl: { type: 'string' },
    'kubeconfig-out': { type: 'string' },
  },
  async run(ctx, values, positionals) {
    const [verb, name, ...rest] = positionals;
    if (verb !== 'create' && verb !== 'delete')
      throw new UsageError(
        `unknown user subcommand "${verb ?? ''}": use "user create NAME" or "user delete NAME"`,
        'user',
      );
    if (name === undefined || name.trim() === '')
      throw new UsageError(`give the user name: stratus user ${verb} NAME`, 'user');
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0] ?? ''}"`, 'user');
    return verb === 'create' ? createUser(ctx, values, name) : deleteUser(ctx, name);
  },
};
