import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  addToDockerConfig,
  credentialsFromDockerConfig,
  lookupIn,
  parseReference,
  pullImage,
  pushImage,
  RegistryClient,
  type CredentialLookup,
  type ImageStore,
} from '../../images/index.js';
import { flagString, write, type CommandContext, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';

/** The usage lines of the registry verbs. */
export const REGISTRY_USAGE = `       stratus image pull IMAGE
       stratus image push IMAGE
       stratus image login REGISTRY -u USER --password-stdin`;

/** The help lines of the registry verbs. */
export const REGISTRY_HELP = `  pull        fetch an image from its registry (linux/amd64 of a multi-platform image)
  push        send an image to the registry its name says (tag it first: image tag SRC HOST/REPO:TAG)
  login       store credentials for a registry (DATA_DIR/registry-auth.json, mode 0600);
              pull and push also read ~/.docker/config.json
  --registry-config FILE   the credentials file (default: DATA_DIR/registry-auth.json)`;

function authFile(ctx: CommandContext, values: FlagValues): string {
  const explicit = flagString(values, 'registry-config');
  if (explicit !== undefined) return resolve(ctx.io.cwd, explicit);
  return resolve(ctx.io.cwd, flagString(values, 'data-dir') ?? '.stratus', 'registry-auth.json');
}

async function credentials(ctx: CommandContext, values: FlagValues): Promise<CredentialLookup> {
  const read = (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '{}');
  const docker = join(
    ctx.io.env['DOCKER_CONFIG'] ?? join(ctx.io.env['HOME'] ?? homedir(), '.docker'),
    'config.json',
  );
  return lookupIn(
    credentialsFromDockerConfig(await read(authFile(ctx, values))),
    credentialsFromDockerConfig(await read(docker)),
  );
}

/** A progress line per blob when stdout is a terminal (rewritten in place), else nothing. */
function progressLines(
  ctx: CommandContext,
): ((e: { digest: string; size: number; done: number; state: string }) => void) | undefined {
  const out = ctx.io.stdout as { isTTY?: boolean };
  if (out.isTTY !== true) return undefined;
  const order: string[] = [];
  const lines = new Map<string, string>();
  return (e) => {
    if (!order.includes(e.digest)) {
      order.push(e.digest);
      ctx.io.stdout.write('\n');
    }
    const width = 30;
    const filled = e.size === 0 ? width : Math.round((e.done / e.size) * width);
    const bar = `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 && filled < width ? '>' : filled >= width ? '=' : ''}${' '.repeat(width - filled)}]`;
    const label =
      {
        fetching: 'Downloading',
        pushing: 'Pushing',
        exists: 'Already exists',
        mounted: 'Mounted',
        done: 'Complete',
      }[e.state] ?? e.state;
    const text = `${e.digest.slice(7, 19)}: ${label} ${e.state === 'fetching' || e.state === 'pushing' ? `${bar} ${e.done}/${e.size}` : ''}`;
    lines.set(e.digest, text);
    const up = order.length - order.indexOf(e.digest);
    ctx.io.stdout.write(`\x1b[${up}A\r\x1b[2K${text}\x1b[${up}B\r`);
  };
}

/** `stratus image pull REF`. */
export async function pullVerb(
  ctx: CommandContext,
  values: FlagValues,
  store: ImageStore,
  args: string[],
): Promise<number> {
  if (args.length !== 1) throw new UsageError('give one image: stratus image pull IMAGE', 'image');
  const progress = progressLines(ctx);
  const result = await pullImage(store, args[0] ?? '', {
    credentials: await credentials(ctx, values),
    ...(progress ? { progress } : {}),
  });
  await write(ctx.io.stdout, `Digest: ${result.digest}\n${result.reference}\n`);
  return 0;
}

/** `stratus image push REF`. */
export async function pushVerb(
  ctx: CommandContext,
  values: FlagValues,
  store: ImageStore,
  args: string[],
): Promise<number> {
  if (args.length !== 1) throw new UsageError('give one image: stratus image push IMAGE', 'image');
  const progress = progressLines(ctx);
  const result = await pushImage(store, args[0] ?? '', {
    credentials: await credentials(ctx, values),
    ...(progress ? { progress } : {}),
  });
  await write(ctx.io.stdout, `${result.reference}: digest: ${result.digest}\n`);
  return 0;
}

/** `stratus image login REGISTRY -u USER --password-stdin`: writes the credentials file (0600). */
export async function loginVerb(ctx: CommandContext, values: FlagValues, args: string[]): Promise<number> {
  const [registry] = args;
  const username = flagString(values, 'username');
  if (
    registry === undefined ||
    args.length !== 1 ||
    username === undefined ||
    values['password-stdin'] !== true
  ) {
    throw new UsageError(
      'give a registry, a user and the password on stdin: stratus image login HOST -u USER --password-stdin',
      'image',
    );
  }
  const host = parseReference(`${registry}/x`).registry;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.io.stdin as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  const password = Buffer.concat(chunks)
    .toString()
    .replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('the password on stdin is empty', 'image');
  // Check the credentials as docker login does: /v2/ must accept them.
  const check = await new RegistryClient(host, { credentials: () => ({ username, password }) }).fetch({
    path: '/v2/',
    scope: '',
  });
  await check.body?.cancel();
  if (!check.ok) throw new UsageError(`registry ${host} answered ${check.status} to the login`, 'image');
  const file = authFile(ctx, values);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const before = await readFile(file, 'utf8').catch(() => undefined);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, addToDockerConfig(before, host, { username, password }), { mode: 0o600 });
  await rename(tmp, file);
  await write(ctx.io.stdout, `Login Succeeded (credentials for ${host} in ${file})\n`);
  return 0;
}
