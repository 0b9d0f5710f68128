import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { digestMismatch, imageNotFound, registryProtocol } from './errors.js';
import type { ImageStore } from './image-store.js';
import {
  INDEX_TYPES,
  MANIFEST_TYPES,
  choosePlatform,
  isIndex,
  parseManifestJson,
  type Descriptor,
  type Manifest,
} from './oci-types.js';
import { formatReference, parseReference } from './reference.js';
import type { CredentialLookup } from './registry-auth.js';
import { MAX_MANIFEST_BYTES, RegistryClient, capped, readCapped, responseError } from './registry-client.js';

/** What a pull reports as it goes: one event per blob started, progressed and finished. */
export interface PullProgress {
  (event: { digest: string; size: number; done: number; state: 'fetching' | 'exists' | 'done' }): void;
}

/** Options of `pullImage`. */
export interface PullOptions {
  /** Credentials per registry; default anonymous. */
  credentials?: CredentialLookup;
  /** Called as blobs arrive; default nothing. */
  progress?: PullProgress;
}

/** The pulled image. */
export interface PullResult {
  reference: string;
  digest: string;
}

const ACCEPT = [...MANIFEST_TYPES, ...INDEX_TYPES].join(', ');

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function fetchManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
  scope: string,
): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
  const response = await client.fetch({
    path: `/v2/${repository}/manifests/${reference}`,
    headers: { accept: ACCEPT },
    scope,
  });
  if (response.status === 404) {
    await response.body?.cancel();
    throw imageNotFound(
      `${client.registry}/${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`,
    );
  }
  if (!response.ok) throw await responseError(response, `manifest ${repository}:${reference}`);
  const bytes = await readCapped(response, MAX_MANIFEST_BYTES, `manifest ${repository}:${reference}`);
  const digest = sha256(bytes);
  const claimed = response.headers.get('docker-content-digest');
  if (reference.startsWith('sha256:') && reference !== digest)
    throw digestMismatch(reference, digest, `manifest of ${repository}`);
  if (claimed !== null && claimed.startsWith('sha256:') && claimed !== digest) {
    throw digestMismatch(claimed, digest, `manifest of ${repository}`);
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  return { bytes, mediaType, digest };
}

async function fetchBlob(
  client: RegistryClient,
  store: ImageStore,
  repository: string,
  blob: Descriptor,
  scope: string,
  progress: PullProgress | undefined,
): Promise<void> {
  if (await store.blobs.has(blob.digest)) {
    progress?.({ digest: blob.digest, size: blob.size, done: blob.size, state: 'exists' });
    return;
  }
  const response = await client.fetch({ path: `/v2/${repository}/blobs/${blob.digest}`, scope });
  if (!response.ok || !response.body)
    throw await responseError(response, `blob ${blob.digest} of ${repository}`);
  let done = 0;
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  if (progress) {
    body.on('data', (chunk: Buffer) => {
      done += chunk.length;
      progress({ digest: blob.digest, size: blob.size, done, state: 'fetching' });
    });
  }
  const written = await store.blobs.write(
    capped(body, blob.size, `blob ${blob.digest} of ${repository}`),
    blob.digest,
  );
  if (written.size !== blob.size) {
    await store.blobs.remove(blob.digest);
    throw registryProtocol(`blob ${blob.digest} has ${written.size} bytes, the manifest says ${blob.size}`);
  }
  progress?.({ digest: blob.digest, size: blob.size, done: blob.size, state: 'done' });
}

/**
 * Pulls an image over the OCI distribution API into the store: the manifest (an index or
 * Docker manifest list resolves to linux/amd64), then the config and the layers the store lacks,
 * each verified against its digest as it is written (a mismatch stores nothing), and last the
 * name. Docker v2 schema 2 and OCI media types are both accepted.
 */
export async function pullImage(
  store: ImageStore,
  text: string,
  options: PullOptions = {},
): Promise<PullResult> {
  const ref = parseReference(text);
  const reference = formatReference(ref);
  const client = new RegistryClient(
    ref.registry,
    options.credentials ? { credentials: options.credentials } : {},
  );
  const scope = `repository:${ref.repository}:pull`;
  let manifest = await fetchManifest(client, ref.repository, ref.digest ?? ref.tag ?? 'latest', scope);
  let doc = parseDocument(manifest.bytes, reference);
  if (isIndex(doc)) {
    const chosen = choosePlatform(doc);
    if (!chosen) throw registryProtocol(`${reference} has no linux/amd64 image`);
    manifest = await fetchManifest(client, ref.repository, chosen.digest, scope);
    doc = parseDocument(manifest.bytes, reference);
    if (isIndex(doc)) throw registryProtocol(`${reference}: an index inside an index is not supported`);
  }
  const image: Manifest = doc;
  for (const blob of [image.config, ...image.layers]) {
    await fetchBlob(client, store, ref.repository, blob, scope, options.progress);
  }
  const mediaType =
    image.mediaType ??
    (MANIFEST_TYPES.includes(manifest.mediaType) ? manifest.mediaType : (MANIFEST_TYPES[0] ?? ''));
  // A reference pinned by digest keeps its digest; the stored name drops the tag part then.
  const name = ref.digest === undefined ? reference : undefined;
  const digest = await store.putManifest(name, manifest.bytes, mediaType, manifest.digest);
  return { reference, digest };
}

function parseDocument(bytes: Buffer, reference: string): ReturnType<typeof parseManifestJson> {
  try {
    return parseManifestJson(bytes);
  } catch (err) {
    throw registryProtocol(`the manifest of ${reference} is not usable: ${(err as Error).message}`);
  }
}
