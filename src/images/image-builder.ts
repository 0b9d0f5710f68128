import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { BuildRunner } from './build-runner.js';
import {
  commandOf,
  expandVariables,
  parseDockerfile,
  parsePairs,
  splitWords,
  type Instruction,
} from './dockerfile.js';
import { buildFailed, ImageError } from './errors.js';
import type { ImageStore } from './image-store.js';
import { overlayToOci, packLayer } from './layer-pack.js';
import {
  OCI_CONFIG,
  OCI_LAYER,
  OCI_MANIFEST,
  type Descriptor,
  type ImageConfig,
  type ImageConfigFile,
  type Manifest,
} from './oci-types.js';
import { runTool } from './run-tool.js';

/** What `buildImage` builds and where it reports. */
export interface BuildOptions {
  /** The build context: the folder COPY and ADD read from. */
  contextDir: string;
  /** The Dockerfile; default `<contextDir>/Dockerfile`. */
  dockerfile?: string;
  /** Names for the result (`busybox:local`); default none (an untagged image). */
  tags?: string[];
  /** Runs `RUN` steps; without one a Dockerfile with RUN is refused before any work. */
  runner?: BuildRunner;
  /** Where the step lines go; default nowhere. */
  output?: Writable;
  /** The image's creation time; default now. */
  created?: Date;
}

/** The built image. */
export interface BuildResult {
  /** The manifest digest. */
  digest: string;
  /** The config digest (Docker's image ID). */
  id: string;
}

interface State {
  layers: Descriptor[];
  diffIds: string[];
  config: ImageConfig;
  history: NonNullable<ImageConfigFile['history']>;
  cmdFromBase: boolean;
}

const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2?)$/;

function lineError(i: Instruction, message: string): ImageError {
  return buildFailed(`Dockerfile line ${i.line}: ${i.keyword} ${message}`, { line: i.line });
}

function envMap(config: ImageConfig): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of config.Env ?? []) {
    const eq = e.indexOf('=');
    map.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
  }
  return map;
}

/** Matches one path element against a Docker COPY pattern (`*`, `?`). */
function globToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
}

/** The context paths a COPY source names (globs in its last element), refusing paths outside. */
async function sources(context: string, src: string, i: Instruction): Promise<string[]> {
  const path = resolve(context, `.${posix.resolve('/', src)}`);
  if (relative(context, path).startsWith('..'))
    throw lineError(i, `source "${src}" is outside the build context`);
  if (!/[*?]/.test(basename(path))) {
    await stat(path).catch(() => {
      throw lineError(i, `source "${src}" does not exist in the build context`);
    });
    return [path];
  }
  const re = globToRegExp(basename(path));
  const names = (await readdir(dirname(path)).catch(() => [])).filter((n) => re.test(n)).sort();
  if (names.length === 0) throw lineError(i, `source "${src}" matches no file in the build context`);
  return names.map((n) => join(dirname(path), n));
}

/**
 * Builds an image from a folder and its Dockerfile, as `docker build` does for the subset
 * FROM (a stored image or `scratch`), COPY, ADD (local files; local tar archives are
 * extracted), ENV, WORKDIR, USER, EXPOSE, CMD, ENTRYPOINT, LABEL and RUN (through a
 * `BuildRunner`). Each COPY, ADD and RUN step is a layer; layers are tarred deterministically,
 * so an unchanged step gives the same blob ("cached"), and RUN steps are cached by their parent
 * layers, command and environment. Errors name the Dockerfile line.
 */
export async function buildImage(store: ImageStore, options: BuildOptions): Promise<BuildResult> {
  const context = resolve(options.contextDir);
  const dockerfile = options.dockerfile ?? join(context, 'Dockerfile');
  const text = await readFile(dockerfile, 'utf8').catch(() => {
    throw buildFailed(`cannot read the Dockerfile ${dockerfile}`);
  });
  const steps = parseDockerfile(text);
  const say = (s: string): void => void options.output?.write(s);
  if (steps[0]?.keyword !== 'FROM') throw buildFailed('the Dockerfile must start with FROM');
  for (const step of steps.slice(1)) {
    if (step.keyword === 'FROM') throw lineError(step, 'again: multi-stage builds are not supported');
    if (step.keyword === 'RUN' && options.runner === undefined) {
      throw lineError(step, 'needs a container runtime to run in (runc), and this build has none');
    }
  }
  const state: State = { layers: [], diffIds: [], config: {}, history: [], cmdFromBase: false };
  const work = store.blobs.tempPath('build');
  await mkdir(work, { mode: 0o700 });
  try {
    for (const [n, step] of steps.entries()) {
      say(`Step ${n + 1}/${steps.length} : ${step.keyword} ${step.args}\n`);
      await buildStep(store, state, step, { ...options, contextDir: context }, join(work, `step-${n}`), say);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const configFile: ImageConfigFile = {
    created: (options.created ?? new Date()).toISOString(),
    architecture: 'amd64',
    os: 'linux',
    config: state.config,
    rootfs: { type: 'layers', diff_ids: state.diffIds },
    history: state.history,
  };
  const config = await store.blobs.writeBytes(Buffer.from(JSON.stringify(configFile)));
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
    layers: state.layers,
  };
  const [first, ...more] = options.tags ?? [];
  const digest = await store.putImage(first, manifest);
  for (const tag of more) await store.tag(digest, tag);
  say(`Successfully built ${config.digest.slice(7, 19)}\n`);
  for (const tag of options.tags ?? []) say(`Successfully tagged ${tag}\n`);
  return { digest, id: config.digest };
}

async function buildStep(
  store: ImageStore,
  state: State,
  step: Instruction,
  options: BuildOptions & { contextDir: string },
  work: string,
  say: (s: string) => void,
): Promise<void> {
  const env = envMap(state.config);
  const expand = (s: string): string => expandVariables(s, env);
  const meta = (): void =>
    void state.history.push({ created_by: `${step.keyword} ${step.args}`, empty_layer: true });
  switch (step.keyword) {
    case 'FROM': {
      const name = expand(step.args.split(/\s+/)[0] ?? '');
      if (/\s+as\s+/i.test(step.args)) throw lineError(step, 'AS: multi-stage builds are not supported');
      if (name === 'scratch') return;
      const base = await store.resolve(name).catch((err: unknown) => {
        if (err instanceof ImageError && err.code === 'IMAGE_NOT_FOUND') {
          throw lineError(step, `${name}: not in the image store; import, build or pull it first`);
        }
        throw err;
      });
      state.layers = [...base.manifest.layers];
      state.diffIds = [...base.configFile.rootfs.diff_ids];
      state.config = structuredClone(base.configFile.config ?? {});
      state.history = [...(base.configFile.history ?? [])];
      state.cmdFromBase = state.config.Cmd !== undefined;
      return;
    }
    case 'ENV': {
      for (const [k, v] of parsePairs(step, expand)) {
        env.set(k, v);
        state.config.Env = [...(state.config.Env ?? []).filter((e) => !e.startsWith(`${k}=`)), `${k}=${v}`];
      }
      return meta();
    }
    case 'LABEL':
      for (const [k, v] of parsePairs(step, expand)) state.config.Labels = { ...state.config.Labels, [k]: v };
      return meta();
    case 'WORKDIR': {
      const dir = expand(step.args);
      if (dir === '') throw lineError(step, 'needs a path');
      state.config.WorkingDir = posix.resolve(state.config.WorkingDir ?? '/', dir);
      return meta();
    }
    case 'USER':
      if (step.args === '') throw lineError(step, 'needs a user');
      state.config.User = expand(step.args);
      return meta();
    case 'EXPOSE':
      for (const word of splitWords(expand(step.args))) {
        if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/i.test(word))
          throw lineError(step, `"${word}" is not PORT or PORT/PROTOCOL`);
        state.config.ExposedPorts = {
          ...state.config.ExposedPorts,
          [word.includes('/') ? word.toLowerCase() : `${word}/tcp`]: {},
        };
      }
      return meta();
    case 'CMD':
      state.config.Cmd = commandOf(step);
      state.cmdFromBase = false;
      return meta();
    case 'ENTRYPOINT':
      state.config.Entrypoint = commandOf(step);
      // As Docker: an ENTRYPOINT resets the CMD the base image had.
      if (state.cmdFromBase) delete state.config.Cmd;
      return meta();
    case 'COPY':
    case 'ADD':
      return copyStep(store, state, step, options.contextDir, work, expand, say);
    case 'RUN':
      return runStep(store, state, step, options, work, say);
    default:
      throw lineError(step, 'is not supported');
  }
}

async function addLayer(
  store: ImageStore,
  state: State,
  step: Instruction,
  tarFile: string,
  say: (s: string) => void,
): Promise<void> {
  const blob = await store.blobs.adopt(tarFile);
  say(` ---> ${blob.existed ? 'Using cache ' : ''}${blob.digest.slice(7, 19)}\n`);
  state.layers.push({ mediaType: OCI_LAYER, digest: blob.digest, size: blob.size });
  state.diffIds.push(blob.digest);
  state.history.push({ created_by: `${step.keyword} ${step.args}` });
}

async function copyStep(
  store: ImageStore,
  state: State,
  step: Instruction,
  context: string,
  work: string,
  expand: (s: string) => string,
  say: (s: string) => void,
): Promise<void> {
  let words = step.json ?? splitWords(step.args);
  let uid = 0;
  let gid = 0;
  while (words[0]?.startsWith('--')) {
    const flag = words[0];
    words = words.slice(1);
    const chown = /^--chown=(\d+)(?::(\d+))?$/.exec(flag);
    if (chown) {
      uid = Number(chown[1]);
      gid = Number(chown[2] ?? chown[1]);
    } else if (/^--chown=root(:root)?$/.test(flag)) {
      uid = gid = 0;
    } else throw lineError(step, `flag ${flag} is not supported (only --chown=UID[:GID])`);
  }
  words = words.map(expand);
  if (words.length < 2) throw lineError(step, 'needs a source and a destination');
  const destText = words[words.length - 1] ?? '';
  const dest = posix.resolve(state.config.WorkingDir ?? '/', destText);
  const srcs: string[] = [];
  for (const src of words.slice(0, -1)) {
    if (/^[a-z]+:\/\//i.test(src)) throw lineError(step, `${src}: only local files can be added`);
    srcs.push(...(await sources(context, src, step)));
  }
  const stage = join(work, 'root');
  await mkdir(stage, { recursive: true, mode: 0o755 });
  const intoDir = destText.endsWith('/') || srcs.length > 1;
  for (const src of srcs) {
    const info = await stat(src);
    const target = join(stage, dest);
    if (info.isDirectory()) {
      await mkdir(target, { recursive: true, mode: 0o755 });
      await runTool('cp', ['-a', '--no-preserve=ownership', `${src}/.`, `${target}/`]);
    } else if (step.keyword === 'ADD' && ARCHIVE.test(src)) {
      await mkdir(target, { recursive: true, mode: 0o755 });
      await runTool('tar', ['-x', '-f', src, '-C', target, '--no-same-owner']);
    } else {
      const file = intoDir ? join(target, basename(src)) : target;
      await mkdir(dirname(file), { recursive: true, mode: 0o755 });
      await runTool('cp', ['-a', '--no-preserve=ownership', src, file]);
    }
  }
  const tar = join(work, 'layer.tar');
  await packLayer(stage, tar, { uid, gid });
  await addLayer(store, state, step, tar, say);
}

async function runStep(
  store: ImageStore,
  state: State,
  step: Instruction,
  options: BuildOptions,
  work: string,
  say: (s: string) => void,
): Promise<void> {
  const runner = options.runner;
  if (!runner) throw lineError(step, 'needs a container runtime');
  const command = commandOf(step);
  const env = state.config.Env ?? [];
  const workingDir = state.config.WorkingDir ?? '/';
  const key = createHash('sha256')
    .update(JSON.stringify({ diffIds: state.diffIds, command, env, workingDir, user: state.config.User }))
    .digest('hex');
  const cacheFile = join(store.root, 'build-cache', key);
  const cached = await readFile(cacheFile, 'utf8').catch(() => undefined);
  if (cached !== undefined && (await store.blobs.has(cached))) {
    say(` ---> Using cache ${cached.slice(7, 19)}\n`);
    state.layers.push({ mediaType: OCI_LAYER, digest: cached, size: await store.blobs.size(cached) });
    state.diffIds.push(cached);
    state.history.push({ created_by: `RUN ${step.args}` });
    return;
  }
  const layerDirs: string[] = [];
  for (const layer of state.layers) layerDirs.push(await store.unpack(layer.digest));
  const upperDir = join(work, 'upper');
  await mkdir(upperDir, { recursive: true, mode: 0o755 });
  const code = await runner.run({
    layerDirs,
    upperDir,
    command,
    env,
    workingDir,
    ...(state.config.User === undefined ? {} : { user: state.config.User }),
    output: options.output ?? devNull(),
  });
  if (code !== 0) throw lineError(step, `${JSON.stringify(command)} returned a non-zero code: ${code}`);
  await overlayToOci(upperDir);
  const tar = join(work, 'layer.tar');
  await packLayer(upperDir, tar);
  await addLayer(store, state, step, tar, say);
  await mkdir(dirname(cacheFile), { recursive: true, mode: 0o700 });
  await writeFile(cacheFile, state.diffIds[state.diffIds.length - 1] ?? '');
}

function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
