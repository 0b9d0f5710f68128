import { open } from 'node:fs/promises';
import { registryProtocol } from './errors.js';
import type { ImageStore } from './image-store.js';
import { REF_NAME, type Descriptor } from './oci-types.js';
import { formatReference, parseReference } from './reference.js';
import type { CredentialLookup } from './registry-auth.js';
import { RegistryClient, responseError } from './registry-client.js';

/** Options of `pushImage`. */
export interface PushOptions {
  /** Credentials per registry; default anonymous. */
  credentials?: CredentialLookup;
  /** Bytes per PATCH of a chunked upload; default 8 MiB. */
  chunkSize?: number;
  /** Called per blob: pushed, already there, or mounted from another repository. */
  progress?: (event: {
    digest: string;
    size: number;
    done: number;
    state: 'pushing' | 'exists' | 'mounted' | 'done';
  }) => void;
}

/** The pushed image: its reference and manifest digest. */
export interface PushResult {
  reference: string;
  digest: string;
}

function location(response: Response, client: RegistryClient): string {
  const value = response.headers.get('location');
  if (value === null) throw registryProtocol(`registry ${client.registry} gave no upload location`);
  return new URL(value, client.base).toString();
}

function withDigest(url: string, digest: string): string {
  const u = new URL(url);
  u.searchParams.set('digest', digest);
  return u.toString();
}

/**
 * Pushes a stored image (`stratus image push REF`, the image named REF in the store) over the
 * OCI distribution API: for each blob, HEAD to skip what the repository has, a cross-repository
 * mount when another repository of the same registry in the store holds it, otherwise a chunked
 * upload (POST, PATCH per chunk with Content-Range, PUT with the digest); then the manifest's
 * exact bytes under the tag.
 */
export async function pushImage(
  store: ImageStore,
  text: string,
  options: PushOptions = {},
): Promise<PushResult> {
  const ref = parseReference(text);
  const reference = formatReference(ref);
  const image = await store.resolve(text);
  const client = new RegistryClient(
    ref.registry,
    options.credentials ? { credentials: options.credentials } : {},
  );
  const scope = `repository:${ref.repository}:pull,push`;
  const siblings = await mountSources(store, ref.registry, ref.repository, image.digest);
  for (const blob of [...image.manifest.layers, image.manifest.config]) {
    await pushBlob(client, store, ref.repository, blob, scope, siblings, options);
  }
  const bytes = await store.blobs.readBytes(image.digest);
  const mediaType = image.manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const response = await client.fetch({
    method: 'PUT',
    path: `/v2/${ref.repository}/manifests/${ref.tag ?? image.digest}`,
    headers: { 'content-type': mediaType },
    body: bytes,
    scope,
  });
  if (response.status !== 201) throw await responseError(response, `manifest ${reference}`);
  await response.body?.cancel();
  return { reference, digest: image.digest };
}

/** Other repositories of the same registry that the store knows this image under. */
async function mountSources(
  store: ImageStore,
  registry: string,
  repository: string,
  digest: string,
): Promise<string[]> {
  const index = await store.readIndex();
  const out = new Set<string>();
  for (const m of index.manifests) {
    const name = m.annotations?.[REF_NAME];
    if (name === undefined || m.digest !== digest) continue;
    const other = parseReference(name);
    if (other.registry === registry && other.repository !== repository) out.add(other.repository);
  }
  return [...out];
}

async function pushBlob(
  client: RegistryClient,
  store: ImageStore,
  repository: string,
  blob: Descriptor,
  scope: string,
  siblings: string[],
  options: PushOptions,
): Promise<void> {
  const head = await client.fetch({ method: 'HEAD', path: `/v2/${repository}/blobs/${blob.digest}`, scope });
  if (head.status === 200) {
    options.progress?.({ digest: blob.digest, size: blob.size, done: blob.size, state: 'exists' });
    return;
  }
  let start: Response | undefined;
  for (const from of siblings) {
    const mountScope = `${scope} repository:${from}:pull`;
    start = await client.fetch({
      method: 'POST',
      path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(from)}`,
      scope: mountScope,
    });
    if (start.status === 201) {
      await start.body?.cancel();
      options.progress?.({ digest: blob.digest, size: blob.size, done: blob.size, state: 'mounted' });
      return;
    }
    if (start.status !== 202) throw await responseError(start, `mount of ${blob.digest} from ${from}`);
    break;
  }
  if (start === undefined) {
    start = await client.fetch({ method: 'POST', path: `/v2/${repository}/blobs/uploads/`, scope });
    if (start.status !== 202) throw await responseError(start, `upload of ${blob.digest} to ${repository}`);
  }
  await start.body?.cancel();
  let url = location(start, client);
  const chunkSize = options.chunkSize ?? 8 << 20;
  const fh = await open(store.blobs.path(blob.digest), 'r');
  try {
    let offset = 0;
    const buffer = Buffer.alloc(Math.min(chunkSize, Math.max(blob.size, 1)));
    while (offset < blob.size) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      const patch = await client.fetch({
        method: 'PATCH',
        path: url,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + bytesRead - 1}`,
          'content-length': String(bytesRead),
        },
        body: chunk,
        scope,
      });
      if (patch.status !== 202) throw await responseError(patch, `upload of ${blob.digest}`);
      await patch.body?.cancel();
      url = location(patch, client);
      offset += bytesRead;
      options.progress?.({ digest: blob.digest, size: blob.size, done: offset, state: 'pushing' });
    }
  } finally {
    await fh.close();
  }
  const put = await client.fetch({
    method: 'PUT',
    path: withDigest(url, blob.digest),
    headers: { 'content-length': '0' },
    scope,
  });
  if (put.status !== 201) throw await responseError(put, `upload of ${blob.digest}`);
  await put.body?.cancel();
  options.progress?.({ digest: blob.digest, size: blob.size, done: blob.size, state: 'done' });
}
