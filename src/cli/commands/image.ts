import { resolve } from 'node:path';
import {
  ImageStore,
  exportArchive,
  familiarName,
  importArchive,
  parseReference,
  type ImageRecord,
} from '../../images/index.js';
import { runcAvailable, runOnce } from '../../runtime/index.js';
import { flagString, write, type Command, type CommandContext, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';
import { TablePrinter } from '../table-printer.js';
import { buildVerb, BUILD_HELP, BUILD_USAGE } from './image-build.js';
import { loginVerb, pullVerb, pushVerb, REGISTRY_HELP, REGISTRY_USAGE } from './image-registry.js';

const USAGE = `Usage: stratus image import FILE
       stratus image ls
       stratus image inspect IMAGE
       stratus image tag SOURCE TARGET
       stratus image rm IMAGE…
       stratus image export IMAGE… -o FILE
${BUILD_USAGE}
${REGISTRY_USAGE}

  import      load a docker save tarball or an OCI archive (podman save --format oci-archive)
  ls          list the images of this node's store
  inspect     print an image's manifest digest, config and layers as JSON
  tag         give an image another name
  rm          remove names; an image's blobs go with its last name (not while a pod uses it)
  export      write images as one archive docker load and OCI tools read
  --data-dir DIR   the node's data directory; images live in DIR/images (default: ./.stratus)
  -o, --output F   the archive export writes
${BUILD_HELP}
${REGISTRY_HELP}`;

/** The node's image store under `--data-dir` (default `./.stratus`). */
export async function openImageStore(ctx: CommandContext, values: FlagValues): Promise<ImageStore> {
  const dataDir = resolve(ctx.io.cwd, flagString(values, 'data-dir') ?? '.stratus');
  return ImageStore.open(resolve(dataDir, 'images'));
}

function age(created: string | undefined): string {
  if (created === undefined) return '<unknown>';
  const seconds = Math.max(0, (Date.now() - Date.parse(created)) / 1000);
  if (!Number.isFinite(seconds)) return '<unknown>';
  const units: [number, string][] = [
    [365 * 86400, 'year'],
    [30 * 86400, 'month'],
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  }
  return 'Less than a minute ago';
}

/** Sizes as Docker prints them (decimal units). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n : n.toPrecision(3)}${units[i] ?? ''}`;
}

function listRows(rows: ImageRecord[]): string {
  const table = {
    columnDefinitions: ['Repository', 'Tag', 'Image ID', 'Created', 'Size'].map((name) => ({
      name,
      type: 'string',
    })),
    rows: rows.map((r) => {
      const ref = r.reference === undefined ? undefined : parseReference(r.reference);
      return {
        cells: [
          ref === undefined ? '<none>' : familiarName(ref),
          ref?.tag ?? '<none>',
          r.id.slice(7, 19),
          age(r.created),
          humanSize(r.size),
        ],
      };
    }),
  };
  return new TablePrinter().print(table);
}

async function withStore<T>(
  ctx: CommandContext,
  values: FlagValues,
  fn: (store: ImageStore) => Promise<T>,
): Promise<T> {
  const store = await openImageStore(ctx, values);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function storeVerb(
  ctx: CommandContext,
  values: FlagValues,
  verb: string,
  args: string[],
): Promise<number> {
  return withStore(ctx, values, async (store) => {
    switch (verb) {
      case 'import': {
        if (args.length !== 1) throw new UsageError('give one archive: stratus image import FILE', 'image');
        for (const image of await importArchive(store, resolve(ctx.io.cwd, args[0] ?? ''))) {
          await write(ctx.io.stdout, `Loaded image: ${image.reference ?? image.digest}\n`);
        }
        return 0;
      }
      case 'ls':
      case 'list':
        await write(ctx.io.stdout, listRows(await store.list()));
        return 0;
      case 'inspect': {
        if (args.length === 0) throw new UsageError('give an image: stratus image inspect IMAGE', 'image');
        const out = [];
        for (const text of args) {
          const image = await store.resolve(text);
          out.push({
            Id: image.manifest.config.digest,
            RepoTags: (await store.list())
              .filter((r) => r.digest === image.digest && r.reference)
              .map((r) => r.reference),
            Digest: image.digest,
            Created: image.configFile.created,
            Architecture: image.configFile.architecture,
            Os: image.configFile.os,
            Config: image.configFile.config ?? {},
            RootFS: image.configFile.rootfs,
            Layers: image.manifest.layers,
            Size: image.manifest.layers.reduce((s, l) => s + l.size, 0),
          });
        }
        await write(ctx.io.stdout, `${JSON.stringify(out, null, 2)}\n`);
        return 0;
      }
      case 'tag': {
        const [source, target] = args;
        if (source === undefined || target === undefined || args.length > 2) {
          throw new UsageError('give a source and a target: stratus image tag SOURCE TARGET', 'image');
        }
        await store.tag(source, target);
        return 0;
      }
      case 'rm':
      case 'remove': {
        if (args.length === 0) throw new UsageError('give an image: stratus image rm IMAGE…', 'image');
        for (const text of args) {
          const removed = await store.remove(text);
          await write(ctx.io.stdout, `Untagged: ${text}\n`);
          for (const d of removed) await write(ctx.io.stdout, `Deleted: ${d}\n`);
        }
        return 0;
      }
      case 'export':
      case 'save': {
        const out = flagString(values, 'output');
        if (out === undefined || args.length === 0) {
          throw new UsageError('give images and a file: stratus image export IMAGE… -o FILE', 'image');
        }
        await exportArchive(store, args, resolve(ctx.io.cwd, out));
        return 0;
      }
      default:
        throw new UsageError(`unknown verb "${verb}" for "image"`, 'image');
    }
  });
}

/**
 * `stratus image …`: the node's OCI image store, as `docker image`/`podman image` drive theirs.
 * Works on the data directory directly (no API call): images are a node's, not the cluster's.
 */
export const imageCommand: Command = {
  name: 'image',
  summary: 'Manage the node image store (image import|ls|inspect|tag|rm|export|build|pull|push|login)',
  usage: USAGE,
  options: {
    'data-dir': { type: 'string' },
    output: { type: 'string', short: 'o' },
    tag: { type: 'string', short: 't', multiple: true },
    file: { type: 'string', short: 'f' },
    username: { type: 'string', short: 'u' },
    'password-stdin': { type: 'boolean' },
    'registry-config': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run(ctx, values, positionals) {
    const [verb, ...args] = positionals;
    switch (verb) {
      case 'build':
        // RUN steps run in a runc container over the layers so far, where runc can run (root).
        return withStore(ctx, values, (store) =>
          buildVerb(ctx, values, store, args, runcAvailable() ? { run: runOnce } : undefined),
        );
      case 'pull':
        return withStore(ctx, values, (store) => pullVerb(ctx, values, store, args));
      case 'push':
        return withStore(ctx, values, (store) => pushVerb(ctx, values, store, args));
      case 'login':
        return loginVerb(ctx, values, args);
      case undefined:
        throw new UsageError(
          'give a verb: import, ls, inspect, tag, rm, export, build, pull, push or login',
          'image',
        );
      default:
        return storeVerb(ctx, values, verb, args);
    }
  },
};
