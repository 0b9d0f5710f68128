import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from '../common/file-lock.js';
import { BlobStore, removeStaleTemps, syncDir } from './blob-store.js';
import { archiveInvalid, imageInUse, imageNotFound } from './errors.js';
import { isUnpacked, layerDir, unpackLayer } from './layer-unpack.js';
import {
  OCI_INDEX,
  OCI_MANIFEST,
  REF_NAME,
  isIndex,
  parseManifestJson,
  type Descriptor,
  type ImageConfigFile,
  type ImageIndex,
  type Manifest,
  type UnpackedImage,
} from './oci-types.js';
import { formatReference, parseReference } from './reference.js';

/** One image of the store as `stratus image ls` shows it. */
export interface ImageRecord {
  /** The normalized reference, or undefined for an untagged image. */
  reference: string | undefined;
  /** The manifest digest (`sha256:…`): what a registry and Kubernetes' imageID name. */
  digest: string;
  /** The config digest: Docker's image ID. */
  id: string;
  /** Manifest, config and layer sizes together (the compressed size, as a registry stores it). */
  size: number;
  created: string | undefined;
}

/** A resolved image: its manifest, config and where it came from. */
export interface ResolvedImage {
  reference: string | undefined;
  digest: string;
  manifest: Manifest;
  configFile: ImageConfigFile;
}

/**
 * The node's image store: an OCI image layout under `root` (`oci-layout`, `index.json`,
 * `blobs/sha256/…`) plus `layers/sha256/<hex>/`, each layer unpacked once and shared by every
 * container that uses it. `index.json` names images by the `org.opencontainers.image.ref.name`
 * annotation holding the full normalized reference; it is rewritten whole, crash-safely
 * (temp + fsync + rename), one change at a time: in order within this process, and under the
 * lock file `index.lock` between processes (an agent pulling while `stratus image tag` runs).
 */
export class ImageStore {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly unpacking = new Map<string, Promise<string>>();
  /** Manifest digests a running container uses: never removed by `remove` or GC. */
  private readonly inUse = new Map<string, number>();

  private constructor(
    readonly root: string,
    readonly blobs: BlobStore,
  ) {}

  /** Opens (creating) the store under `root` (`<dataDir>/images`). */
  static async open(root: string): Promise<ImageStore> {
    const blobs = await BlobStore.open(root);
    const store = new ImageStore(root, blobs);
    await removeStaleTemps(join(root, 'layers', 'tmp'));
    await writeFile(join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}', { flag: 'wx' }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      },
    );
    return store;
  }

  /** Nothing to release today; here so that owners can treat the store as a long-lived object. */
  async close(): Promise<void> {
    await this.chain.catch(() => {});
  }

  /** The layout's index (empty when there is none yet). */
  async readIndex(): Promise<ImageIndex> {
    try {
      return JSON.parse(await readFile(join(this.root, 'index.json'), 'utf8')) as ImageIndex;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
      throw err;
    }
  }

  /** Applies a change to the index, one at a time, and writes it crash-safely. */
  private updateIndex<T>(change: (index: ImageIndex) => T | Promise<T>): Promise<T> {
    const run = () => withFileLock(join(this.root, 'index.lock'), update);
    const update = async (): Promise<T> => {
      const index = await this.readIndex();
      const result = await change(index);
      const tmp = this.blobs.tempPath('index');
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify(index, null, 2));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.root, 'index.json'));
      await syncDir(this.root);
      return result;
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => {});
    return next;
  }

  /**
   * Stores a manifest (its config and layers must be stored already) and names it `reference`
   * (any earlier image of that name loses it). Returns the manifest digest.
   */
  async putImage(reference: string | undefined, manifest: Manifest): Promise<string> {
    const mediaType = manifest.mediaType ?? OCI_MANIFEST;
    return this.putManifest(reference, Buffer.from(JSON.stringify(manifest)), mediaType);
  }

  /**
   * Stores a manifest's exact bytes (so that its digest is the one a registry or archive gave)
   * after checking that its config and layers are stored, and names it `reference`.
   */
  async putManifest(
    reference: string | undefined,
    bytes: Uint8Array,
    mediaType: string,
    expected?: string,
  ): Promise<string> {
    const doc = parseManifestJson(bytes);
    if (isIndex(doc)) throw archiveInvalid('an index cannot be stored as an image');
    for (const d of [doc.config, ...doc.layers]) {
      if (!(await this.blobs.has(d.digest))) throw archiveInvalid(`blob ${d.digest} of the image is missing`);
    }
    const { digest, size } = await this.blobs.writeBytes(bytes, expected);
    await this.name(reference === undefined ? undefined : formatReference(parseReference(reference)), {
      mediaType,
      digest,
      size,
    });
    return digest;
  }

  /** Names a stored manifest (adds an index entry), replacing whatever had the name. */
  private name(reference: string | undefined, descriptor: Descriptor): Promise<void> {
    return this.updateIndex((index) => {
      index.manifests = index.manifests.filter((m) =>
        reference === undefined
          ? m.digest !== descriptor.digest || m.annotations?.[REF_NAME] !== undefined
          : m.annotations?.[REF_NAME] !== reference,
      );
      const entry: Descriptor = {
        mediaType: descriptor.mediaType,
        digest: descriptor.digest,
        size: descriptor.size,
      };
      if (reference !== undefined) entry.annotations = { [REF_NAME]: reference };
      index.manifests.push(entry);
    });
  }

  /**
   * Finds an image by reference (`busybox`, `host:5000/a:b`, `a@sha256:…`), by manifest digest,
   * or by a prefix (≥ 4 hex digits) of its ID or digest, as Docker accepts.
   */
  async find(text: string): Promise<Descriptor | undefined> {
    const index = await this.readIndex();
    const hexOnly = text.replace(/^sha256:/, '');
    if (/^[a-f0-9]{4,64}$/.test(hexOnly)) {
      for (const m of index.manifests) {
        if (m.digest.slice(7).startsWith(hexOnly)) return m;
      }
      for (const m of index.manifests) {
        const manifest = await this.readManifest(m.digest).catch(() => undefined);
        if (manifest?.config.digest.slice(7).startsWith(hexOnly)) return m;
      }
    }
    let ref;
    try {
      ref = parseReference(text);
    } catch (err) {
      if (/^[a-f0-9]{4,64}$/.test(hexOnly)) return undefined;
      throw err;
    }
    if (ref.digest !== undefined) {
      return index.manifests.find((m) => m.digest === ref.digest);
    }
    const name = formatReference(ref);
    return index.manifests.find((m) => m.annotations?.[REF_NAME] === name);
  }

  /** The manifest stored under a digest (an index's linux/amd64 manifest is not followed here). */
  async readManifest(digest: string): Promise<Manifest> {
    const doc = parseManifestJson(await this.blobs.readBytes(digest));
    if (isIndex(doc)) throw archiveInvalid(`${digest} is an index, not an image manifest`);
    return doc;
  }

  /** Resolves a reference to its manifest and config, or IMAGE_NOT_FOUND. */
  async resolve(text: string): Promise<ResolvedImage> {
    const entry = await this.find(text);
    if (!entry) throw imageNotFound(text);
    const manifest = await this.readManifest(entry.digest);
    const configFile = JSON.parse(
      (await this.blobs.readBytes(manifest.config.digest)).toString(),
    ) as ImageConfigFile;
    return { reference: entry.annotations?.[REF_NAME], digest: entry.digest, manifest, configFile };
  }

  /** True when an image of this reference is stored. */
  async has(text: string): Promise<boolean> {
    return (await this.find(text)) !== undefined;
  }

  /** Every image, one row per name (an untagged image once). */
  async list(): Promise<ImageRecord[]> {
    const index = await this.readIndex();
    const rows: ImageRecord[] = [];
    for (const m of index.manifests) {
      const manifest = await this.readManifest(m.digest).catch(() => undefined);
      if (!manifest) continue;
      const config = await this.blobs
        .readBytes(manifest.config.digest)
        .then((b) => JSON.parse(b.toString()) as ImageConfigFile)
        .catch(() => undefined);
      rows.push({
        reference: m.annotations?.[REF_NAME],
        digest: m.digest,
        id: manifest.config.digest,
        size: m.size + manifest.config.size + manifest.layers.reduce((s, l) => s + l.size, 0),
        created: config?.created,
      });
    }
    return rows;
  }

  /** Gives an image another name (`stratus image tag SRC DST`). */
  async tag(source: string, target: string): Promise<void> {
    const entry = await this.find(source);
    if (!entry) throw imageNotFound(source);
    await this.name(formatReference(parseReference(target)), entry);
  }

  /**
   * Removes a name; when no name is left for the manifest, removes the image's blobs and
   * unpacked layers that no other image shares. Refused for an image a container uses.
   * Returns the digests of the blobs removed.
   */
  async remove(text: string): Promise<string[]> {
    const entry = await this.find(text);
    if (!entry) throw imageNotFound(text);
    const name = entry.annotations?.[REF_NAME];
    const left = (await this.readIndex()).manifests.filter(
      (m) => m.digest === entry.digest && m.annotations?.[REF_NAME] !== name,
    );
    if (left.length === 0 && this.inUse.has(entry.digest)) throw imageInUse(text);
    await this.updateIndex((index) => {
      index.manifests = index.manifests.filter(
        (m) => !(m.digest === entry.digest && m.annotations?.[REF_NAME] === name),
      );
    });
    return this.sweep();
  }

  /** Removes an image with every name it has (GC), and its blobs no other image shares. */
  async removeImage(digest: string): Promise<string[]> {
    if (this.inUse.has(digest)) throw imageInUse(digest);
    await this.updateIndex((index) => {
      index.manifests = index.manifests.filter((m) => m.digest !== digest);
    });
    return this.sweep();
  }

  /**
   * Removes every blob and unpacked layer no index entry reaches (the mark-and-sweep half of
   * garbage collection). Returns the removed blob digests.
   */
  async sweep(): Promise<string[]> {
    return this.updateIndex(async (index) => {
      const live = new Set<string>();
      for (const m of index.manifests) {
        live.add(m.digest);
        const manifest = await this.readManifest(m.digest).catch(() => undefined);
        if (!manifest) continue;
        live.add(manifest.config.digest);
        for (const l of manifest.layers) live.add(l.digest);
      }
      const removed: string[] = [];
      for (const digest of await this.blobs.list()) {
        if (live.has(digest)) continue;
        await rm(layerDir(this.root, digest), { recursive: true, force: true });
        await this.blobs.remove(digest);
        removed.push(digest);
      }
      return removed;
    });
  }

  /**
   * The image unpacked for a runtime: each layer extracted once per digest into
   * `layers/sha256/<hex>/` (concurrent callers share one extraction) and the lower directories
   * listed lowest first.
   */
  async ensureUnpacked(text: string): Promise<UnpackedImage> {
    const image = await this.resolve(text);
    const layerDirs: string[] = [];
    for (const layer of image.manifest.layers) layerDirs.push(await this.unpack(layer.digest));
    return {
      reference: image.reference ?? formatReference(parseReference(text)),
      digest: image.digest,
      config: image.configFile.config ?? {},
      layerDirs,
    };
  }

  /** Unpacks one stored layer blob (once per digest) and returns its folder. */
  unpack(digest: string): Promise<string> {
    const existing = this.unpacking.get(digest);
    if (existing) return existing;
    const dir = layerDir(this.root, digest);
    const work = (async () => {
      if (!(await isUnpacked(dir))) {
        const tmp = join(
          this.root,
          'layers',
          'tmp',
          createHash('sha256')
            .update(dir + Math.random())
            .digest('hex')
            .slice(0, 16),
        );
        await unpackLayer(this.blobs.path(digest), dir, tmp);
      }
      return dir;
    })();
    this.unpacking.set(digest, work);
    return work.finally(() => this.unpacking.delete(digest));
  }

  /** Marks an image as used by a container (until `release`), so that nothing removes it. */
  retain(digest: string): void {
    this.inUse.set(digest, (this.inUse.get(digest) ?? 0) + 1);
  }

  /** Ends one `retain`. */
  release(digest: string): void {
    const n = (this.inUse.get(digest) ?? 0) - 1;
    if (n <= 0) this.inUse.delete(digest);
    else this.inUse.set(digest, n);
  }

  /** True when a container uses the image. */
  isInUse(digest: string): boolean {
    return this.inUse.has(digest);
  }
}
