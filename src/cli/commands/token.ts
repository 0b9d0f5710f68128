import { StatusError } from '../../client/index.js';
import { parseTokenSecret, TOKEN_LABEL, TOKEN_NAMESPACE } from '../../identity/index.js';
import { write, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../errors.js';
import { TablePrinter } from '../table-printer.js';

const USAGE = `Usage: stratus token ls
       stratus token revoke ID…

  ls          list the tokens: id, user, groups, expiry and description (never the tokens)
  revoke ID   delete a token; requests with it fail on every server within a second`;

async function listTokens(ctx: CommandContext): Promise<number> {
  const list = await ctx
    .client()
    .list('secrets', { namespace: TOKEN_NAMESPACE, labelSelector: `${TOKEN_LABEL}=true` });
  const now = Date.now();
  const rows = list.items.flatMap((item) => {
    const t = parseTokenSecret(item);
    if (t === undefined) return [];
    const expires =
      t.expiresAt === undefined
        ? '<never>'
        : t.expiresAt <= now
          ? 'expired'
          : new Date(t.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return [{ cells: [t.id, t.user.username, t.user.groups.join(','), expires, t.description] }];
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
    if (!/^[0-9a-f]{16}$/.test(id))
      throw new UsageError(`"${id}" is not a token id (16 hex digits, see stratus token ls)`, 'token');
    try {
      await ctx.client().delete('secrets', `stratus-token-${id}`, { namespace: TOKEN_NAMESPACE });
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
 * `stratus token ls|revoke`: the bearer tokens (their Secrets in kube-system) by id. Revoking
 * deletes the Secret; every API server's token watch evicts it from its cache at once.
 */
export const tokenCommand: Command = {
  name: 'token',
  summary: 'List and revoke bearer tokens (token ls|revoke ID)',
  usage: USAGE,
  options: {},
  async run(ctx, _values, positionals) {
    const [verb, ...rest] = positionals;
    switch (verb) {
      case 'ls':
      case 'list':
        return listTokens(ctx);
      case 'revoke':
        return revoke(ctx, rest);
      default:
        throw new UsageError(`unknown token subcommand "${verb ?? ''}": use ls or revoke`, 'token');
    }
  },
};
