/**
 * The OCI image-spec and Docker v2 schema 2 documents the store reads and writes, and their
 * media types. Docker's and OCI's are the same shapes under different names, so one set of types
 * serves both and the media type tells them apart.
 */

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
export const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';

/** The annotation an index entry names its image with (`docker.io/library/busybox:latest`). */
export const REF_NAME = 'org.opencontainers.image.ref.name';

/** Media types of a single-platform manifest. */
export const MANIFEST_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];
/** Media types of a multi-platform index or manifest list. */
export const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_LIST];

/** A pointer to content: what every manifest, index and layer reference is. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

/** An image manifest (OCI or Docker v2 schema 2). */
export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image index or Docker manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

/** The parts of an image config a runtime uses, with the OCI field names. */
export interface ImageConfig {
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  User?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
}

/** An image configuration blob (`application/vnd.oci.image.config.v1+json`). */
export interface ImageConfigFile {
  created?: string;
  architecture: string;
  os: string;
  config?: ImageConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string }[];
}

/**
 * An image present on this node, unpacked for a runtime: structurally the runtime's
 * `UnpackedImage` (src/runtime/runtime.ts), which this part may not import.
 */
export interface UnpackedImage {
  /** The reference the pod named, normalized (`docker.io/library/busybox:latest`). */
  reference: string;
  /** The manifest digest, `sha256:…`. */
  digest: string;
  config: ImageConfig;
  /** Unpacked layer directories, lowest first (overlayfs lower directories). */
  layerDirs: string[];
}

/** Parses JSON content as a manifest or index, or says why it is not one. */
export function parseManifestJson(bytes: Uint8Array): Manifest | ImageIndex {
  const doc = JSON.parse(new TextDecoder().decode(bytes)) as Partial<Manifest & ImageIndex>;
  if (doc === null || typeof doc !== 'object' || doc.schemaVersion !== 2) {
    throw new TypeError('not a schema 2 manifest');
  }
  if (Array.isArray(doc.manifests)) return doc as ImageIndex;
  if (doc.config && Array.isArray(doc.layers)) return doc as Manifest;
  throw new TypeError('neither an image manifest nor an index');
}

/** True for an index or manifest list. */
export function isIndex(doc: Manifest | ImageIndex): doc is ImageIndex {
  return Array.isArray((doc as ImageIndex).manifests);
}

/**
 * Chooses the manifest for this node from an index: linux/amd64 (as Docker on amd64 does),
 * else the only entry when there is one without a platform.
 */
export function choosePlatform(index: ImageIndex, arch = 'amd64', os = 'linux'): Descriptor | undefined {
  const images = index.manifests.filter((m) => MANIFEST_TYPES.includes(m.mediaType));
  return (
    images.find((m) => m.platform?.os === os && m.platform.architecture === arch) ??
    (images.length === 1 && images[0]?.platform === undefined ? images[0] : undefined)
  );
}
