/**
 * Images: the node's OCI image store (content-addressed blobs, unpacked layers), archive import
 * and export, the Dockerfile builder and the OCI distribution client. Imports no other part but
 * `common`: the runtime and the agent use it through these exports.
 */
export { BlobStore } from './blob-store.js';
export { ImageStore, type ImageRecord, type ResolvedImage } from './image-store.js';
export { importArchive, exportArchive, type ImportedImage } from './image-archive.js';
export { ImageError } from './errors.js';
export {
  parseReference,
  formatReference,
  normalizeReference,
  familiarName,
  repositoryName,
  defaultPullPolicy,
  type ImageReference,
} from './reference.js';
export type { ImageConfig, ImageConfigFile, Manifest, Descriptor, UnpackedImage } from './oci-types.js';
export { buildImage, type BuildOptions, type BuildResult } from './image-builder.js';
export type { BuildRunner, BuildRunOptions } from './build-runner.js';
export { parseDockerfile, type Instruction } from './dockerfile.js';
export { pullImage, type PullOptions, type PullResult, type PullProgress } from './image-pull.js';
export { pushImage, type PushOptions, type PushResult } from './image-push.js';
export { RegistryClient, isLoopbackHost } from './registry-client.js';
export {
  credentialsFromDockerConfig,
  addToDockerConfig,
  lookupIn,
  parseChallenge,
  type Credentials,
  type CredentialLookup,
} from './registry-auth.js';
export { collectImages, diskUsage, markUsed, type ImageGcOptions, type ImageGcResult } from './image-gc.js';
