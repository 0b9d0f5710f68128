import { createHash } from 'node:crypto';
import { link, mkdir, open, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readTar } from './tar-reader.js';
import { digestHex } from './blob-store.js';
import { archiveInvalid } from './errors.js';
import type { ImageStore } from './image-store.js';
import {
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
  REF_NAME,
  choosePlatform,
  isIndex,
  parseManifestJson,
  type Descriptor,
  type ImageConfigFile,
  type Manifest,
} from './oci-types.js';
import { familiarName, parseReference } from './reference.js';
import { runTool } from './run-tool.js';

/** The annotation containerd and Docker 25+ name an image with in an OCI archive. */
const CONTAINERD_NAME = 'io.containerd.image.name';

/** One image an import stored. */
export interface ImportedImage {
  reference: string | undefined;
  digest: string;
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/**
 * Imports a `docker save` tarball (legacy layout with `manifest.json`, or Docker 25+'s OCI
 * layout) or an OCI archive as `podman save --format oci-archive` writes it. The archive is
 * extracted by GNU tar into the store's temp folder (same file system), then each blob is hashed
 * and renamed into place, verified against the digest its name claims.
 */
export async function importArchive(store: ImageStore, file: string): Promise<ImportedImage[]> {
  const dir = store.blobs.tempPath('import');
  await mkdir(dir, { mode: 0o700 });
  try {
    const hashes = await extractHashing(file, dir);
    const index = await readJson<{ manifests?: Descriptor[] }>(join(dir, 'index.json'));
    const saved = await readJson<DockerSaveEntry[]>(join(dir, 'manifest.json'));
    if (index?.manifests) return await importLayout(store, dir, index.manifests, saved ?? [], hashes);
    if (saved) return await importDockerSave(store, dir, saved, hashes);
    throw archiveInvalid(
      `${file} is neither an OCI archive (index.json) nor a docker save tarball (manifest.json)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw archiveInvalid(`${path.split('/').pop() ?? path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Digests of the archive's files, computed while they were extracted (keyed by path). */
type Hashes = Map<string, { digest: string; size: number }>;

/**
 * Extracts an archive into `dir` in one pass, hashing each file as it is written, so that
 * adopting it as a blob needs no second read.
 */
async function extractHashing(file: string, dir: string): Promise<Hashes> {
  const hashes: Hashes = new Map();
  try {
    await readTar(file, {
      async open(member) {
        const path = join(dir, member.name);
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        const fh = await open(path, 'wx', 0o600);
        const hash = createHash('sha256');
        let size = 0;
        return {
          async write(chunk) {
            const written = fh.write(chunk);
            hash.update(chunk);
            size += chunk.length;
            await written;
          },
          async end() {
            await fh.close();
            hashes.set(path, { digest: `sha256:${hash.digest('hex')}`, size });
          },
        };
      },
      async entry(member) {
        const path = join(dir, member.name);
        if (member.type === 'directory') await mkdir(path, { recursive: true, mode: 0o700 });
        else if (member.type === 'symlink') {
          await mkdir(dirname(path), { recursive: true, mode: 0o700 });
          await symlink(member.linkName, path);
        }
      },
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'IMAGE_ARCHIVE_INVALID') throw err;
    throw archiveInvalid(`cannot read image archive ${file}: ${(err as Error).message}`);
  }
  return hashes;
}

/** Adopts an extracted file as a blob, using the digest computed while extracting when there is one. */
async function adoptFile(
  store: ImageStore,
  dir: string,
  hashes: Hashes,
  path: string,
  expected?: string,
): Promise<{ digest: string; size: number }> {
  const real = await realpath(path);
  if (!real.startsWith(`${await realpath(dir)}/`))
    throw archiveInvalid(`archive member ${path} links outside the archive`);
  const known = hashes.get(real);
  if (known === undefined) return store.blobs.adopt(real, expected);
  hashes.delete(real);
  return store.blobs.adoptHashed(real, known.digest, known.size, expected);
}

/** Adopts the archive's blob for a descriptor unless the store has it already. */
async function adoptBlob(store: ImageStore, dir: string, hashes: Hashes, digest: string): Promise<void> {
  if (await store.blobs.has(digest)) return;
  await store.blobs
    .adopt(join(dir, 'blobs', 'sha256', digestHex(digest)), digest)
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw archiveInvalid(`the archive lacks blob ${digest}`);
      throw err;
    });
}

/** The name an index entry gives its image (a full reference), if any. */
function entryName(entry: Descriptor, saved: DockerSaveEntry[], manifest: Manifest): string | undefined {
  const full = entry.annotations?.[CONTAINERD_NAME];
  if (full !== undefined) return full;
  const ref = entry.annotations?.[REF_NAME];
  // The OCI spec lets ref.name be just a tag; only a name with a path or registry is a reference.
  if (ref !== undefined && /[/]/.test(ref)) return ref;
  const tags = saved.find((s) => s.Config.endsWith(digestHex(manifest.config.digest)))?.RepoTags;
  return tags?.[0] ?? undefined;
}

async function importLayout(
  store: ImageStore,
  dir: string,
  entries: Descriptor[],
  saved: DockerSaveEntry[],
  hashes: Hashes,
): Promise<ImportedImage[]> {
  const imported: ImportedImage[] = [];
  for (const top of entries) {
    let entry = top;
    let bytes = await readFile(join(dir, 'blobs', 'sha256', digestHex(entry.digest)));
    let doc = parseManifestJson(bytes);
    while (isIndex(doc)) {
      const chosen = choosePlatform(doc);
      if (!chosen) throw archiveInvalid(`index ${entry.digest} has no linux/amd64 image`);
      entry = { ...chosen, ...(top.annotations ? { annotations: top.annotations } : {}) };
      bytes = await readFile(join(dir, 'blobs', 'sha256', digestHex(entry.digest)));
      doc = parseManifestJson(bytes);
    }
    for (const d of [doc.config, ...doc.layers]) await adoptBlob(store, dir, hashes, d.digest);
    const name = entryName(entry, saved, doc);
    const digest = await store.putManifest(
      name,
      bytes,
      doc.mediaType ?? entry.mediaType ?? OCI_MANIFEST,
      entry.digest,
    );
    imported.push({
      reference: name === undefined ? undefined : ((await store.resolve(digest)).reference ?? name),
      digest,
    });
    for (const extra of saved
      .find((s) => s.Config.endsWith(digestHex(doc.config.digest)))
      ?.RepoTags?.slice(1) ?? []) {
      await store.tag(digest, extra);
    }
  }
  return imported;
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

async function importDockerSave(
  store: ImageStore,
  dir: string,
  saved: DockerSaveEntry[],
  hashes: Hashes,
): Promise<ImportedImage[]> {
  const imported: ImportedImage[] = [];
  for (const image of saved) {
    const config = await adoptFile(store, dir, hashes, join(dir, image.Config));
    const configFile = JSON.parse((await store.blobs.readBytes(config.digest)).toString()) as ImageConfigFile;
    const layers: Descriptor[] = [];
    for (const [i, path] of image.Layers.entries()) {
      // Older Docker links a layer shared by two images as a symlink: adopt its target.
      const real = await realpath(join(dir, path)).catch(() => join(dir, path));
      const gzip = await isGzip(real).catch(() => false);
      const blob = await adoptFile(store, dir, hashes, real).catch(async (err: NodeJS.ErrnoException) => {
        // Two images of one archive may share a layer file, adopted (moved) already.
        if (err.code === 'ENOENT' && i < configFile.rootfs.diff_ids.length) {
          const digest = configFile.rootfs.diff_ids[i] ?? '';
          if (await store.blobs.has(digest)) return { digest, size: await store.blobs.size(digest) };
        }
        throw err;
      });
      if (!gzip && configFile.rootfs.diff_ids[i] !== blob.digest) {
        throw archiveInvalid(
          `layer ${path} has digest ${blob.digest}, the config says ${configFile.rootfs.diff_ids[i] ?? 'nothing'}`,
        );
      }
      layers.push({ mediaType: gzip ? OCI_LAYER_GZIP : OCI_LAYER, digest: blob.digest, size: blob.size });
    }
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
      layers,
    };
    const tags = image.RepoTags ?? [];
    const digest = await store.putImage(tags[0], manifest);
    for (const extra of tags.slice(1)) await store.tag(digest, extra);
    imported.push({
      reference: tags[0] === undefined ? undefined : (await store.resolve(digest)).reference,
      digest,
    });
  }
  return imported;
}

/**
 * Writes images as one archive that both `docker load` (its `manifest.json`) and OCI tools
 * (`oci-layout`, `index.json`) read, as Docker 25+'s `docker save` does. Blobs are hard-linked
 * into a staging folder and GNU tar writes the file.
 */
export async function exportArchive(
  store: ImageStore,
  references: readonly string[],
  file: string,
): Promise<void> {
  const dir = store.blobs.tempPath('export');
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
  try {
    const manifests: Descriptor[] = [];
    const saved: DockerSaveEntry[] = [];
    const linked = new Set<string>();
    const put = async (digest: string): Promise<void> => {
      if (linked.has(digest)) return;
      linked.add(digest);
      await link(store.blobs.path(digest), join(dir, 'blobs', 'sha256', digestHex(digest)));
    };
    for (const text of references) {
      const image = await store.resolve(text);
      const size = await store.blobs.size(image.digest);
      for (const d of [{ digest: image.digest }, image.manifest.config, ...image.manifest.layers])
        await put(d.digest);
      const annotations: Record<string, string> = {};
      if (image.reference !== undefined) {
        const ref = parseReference(image.reference);
        annotations[CONTAINERD_NAME] = image.reference;
        if (ref.tag !== undefined) annotations[REF_NAME] = ref.tag;
      }
      manifests.push({
        mediaType: image.manifest.mediaType ?? OCI_MANIFEST,
        digest: image.digest,
        size,
        annotations,
      });
      const ref = image.reference === undefined ? undefined : parseReference(image.reference);
      saved.push({
        Config: `blobs/sha256/${digestHex(image.manifest.config.digest)}`,
        RepoTags: ref?.tag === undefined ? [] : [`${familiarName(ref)}:${ref.tag}`],
        Layers: image.manifest.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
      });
    }
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(
      join(dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }),
    );
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(saved));
    await runTool('tar', [
      '-c',
      '-f',
      file,
      '-C',
      dir,
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      'oci-layout',
      'index.json',
      'manifest.json',
      'blobs',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
