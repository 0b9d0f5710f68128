import { readFile } from 'node:fs/promises';
import { StatusError } from '../../client/index.js';
import {
  bootstrapTokenSecret,
  bootstrapTokenSecretName,
  caCertHash,
  newBootstrapToken,
  parseBootstrapTokenSecret,
  parseTokenSecret,
  TOKEN_NAMESPACE,
} from '../../identity/index.js';
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
import { parseGoDuration } from './duration-flag.js';

/** How long a join token lives unless `--ttl` says otherwise: a day, as kubeadm's. */
export const DEFAULT_JOIN_TTL = '24h';

const USAGE = `Usage: stratus token ls
       stratus token create --join [--ttl DURATION] [--description TEXT]
       stratus token revoke ID…

  ls                  list the tokens: id, user, groups, expiry and description (never the tokens)
  create --join       make a bootstrap token and print the command that joins an agent with it;
                      a bootstrap token can only ask for a node credential
  --ttl DURATION      how long the join token works (default ${DEFAULT_JOIN_TTL}; 0 = never expires)
  revoke ID           delete a token (a join token by its 6-character id); requests with it
                      fail on every server within a second`;

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function expiry(at: number | undefined, now: number): string {
  if (at === undefined) return '<never>';
  return at <= now ? 'expired' : iso(at);
}

async function listTokens(ctx: CommandContext): Promise<number> {
  const list = await ctx.client().list('secrets', { namespace: TOKEN_NAMESPACE });
  const now = Date.now();
  const rows = list.items.flatMap((item) => {
    const t = parseTokenSecret(item);
    if (t !== undefined)
      return [
        { cells: [t.id, t.user.username, t.user.groups.join(','), expiry(t.expiresAt, now), t.description] },
      ];
    const b = parseBootstrapTokenSecret(item);
    if (b === undefined) return [];
    const groups = ['system:bootstrappers', ...b.extraGroups].join(',');
    return [{ cells: [b.id, `system:bootstrap:${b.id}`, groups, expiry(b.expiresAt, now), b.description] }];
  });
  if (rows.length === 0) {
    await write(ctx.io.stderr, 'No tokens found.\n');
    return 0;
  }
  const columns = ['ID', 'User', 'Groups', 'Expires', 'Description'].map((name) => ({
    name,
    type: 'string',
    format: '',
    description: '',
    priority: 0,
  }));
  await write(ctx.io.stdout, new TablePrinter().print({ columnDefinitions: columns, rows }));
  return 0;
}

async function revoke(ctx: CommandContext, ids: string[]): Promise<number> {
  if (ids.length === 0)
    throw new UsageError('give the id of the token to revoke: stratus token revoke ID', 'token');
  for (const id of ids) {
    let name: string;
    if (/^[0-9a-f]{16}$/.test(id)) name = `stratus-token-${id}`;
    else if (/^[a-z0-9]{6}$/.test(id)) name = bootstrapTokenSecretName(id);
    else
      throw new UsageError(
        `"${id}" is not a token id (16 hex digits, or a join token's 6 characters; see stratus token ls)`,
        'token',
      );
    try {
      await ctx.client().delete('secrets', name, { namespace: TOKEN_NAMESPACE });
    } catch (err) {
      if (err instanceof StatusError && err.status === 404)
        throw new UsageError(`token "${id}" not found`, 'token');
      throw err;
    }
    await write(ctx.io.stdout, `token "${id}" revoked\n`);
  }
  return 0;
}

/**
 * `token create --join`: a bootstrap token Secret created through the API (only system:masters
 * may), and the command that joins an agent with it — the server URL and the pin of the CA the
 * kubeconfig trusts, so that the agent checks it talks to this cluster.
 */
async function createJoinToken(ctx: CommandContext, values: FlagValues): Promise<number> {
  if (!flagBool(values, 'join'))
    throw new UsageError('stratus token create makes join tokens: add --join', 'token');
  const ttlText = flagString(values, 'ttl') ?? DEFAULT_JOIN_TTL;
  const ttl = parseGoDuration(ttlText);
  if (ttl === undefined || ttl < 0)
    throw new UsageError(`--ttl must be a duration such as 24h or 30m, not "${ttlText}"`, 'token');
  const token = newBootstrapToken();
  const client = ctx.client();
  const description = flagString(values, 'description') ?? 'join token (stratus token create --join)';
  await client.create(
    'secrets',
    bootstrapTokenSecret(token, { now: Date.now(), description, ...(ttl > 0 ? { ttlMs: ttl } : {}) }),
    { namespace: TOKEN_NAMESPACE },
  );
  const cluster = client.config;
  let ca = cluster.certificateAuthorityData;
  if (ca === undefined && cluster.certificateAuthority !== undefined)
    ca = await readFile(cluster.certificateAuthority, 'utf8');
  const pin =
    cluster.server.startsWith('https:') && ca !== undefined ? ` --ca-cert-hash ${caCertHash(ca)}` : '';
  await write(ctx.io.stdout, `stratus agent --server ${cluster.server} --token ${token}${pin}\n`);
  await write(
    ctx.io.stderr,
    `Join token ${token.slice(0, 6)} ${ttl > 0 ? `expires ${iso(Date.now() + ttl)}` : 'never expires'}; ` +
      `revoke it with stratus token revoke ${token.slice(0, 6)}. Add --node-name NAME and --data-dir DIR as needed.\n`,
  );
  return 0;
}

/**
 * `stratus token ls|create --join|revoke`: the bearer tokens (their Secrets in kube-system) by
 * id, and join tokens for agents. Revoking deletes the Secret; every API server's token watch
 * evicts it from its cache at once.
 */
export const tokenCommand: Command = {
  name: 'token',
  summary: 'List, create (--join) and revoke tokens (token ls|create --join|revoke ID)',
  usage: USAGE,
  options: { join: { type: 'boolean' }, ttl: { type: 'string' }, description: { type: 'string' } },
  async run(ctx, values, positionals) {
    const [verb, ...rest] = positionals;
    switch (verb) {
      case 'ls':
      case 'list':
        return listTokens(ctx);
      case 'create':
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0] ?? ''}"`, 'token');
        return createJoinToken(ctx, values);
      case 'revoke':
        return revoke(ctx, rest);
      default:
        throw new UsageError(
          `unknown token subcommand "${verb ?? ''}": use ls, create --join or revoke`,
          'token',
        );
    }
  },
};
