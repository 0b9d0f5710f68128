import type { KubeObject } from '../../common/kube-object.js';
import { StoreError } from '../errors.js';
import type {
  ListOptions,
  ListResult,
  Store,
  StoredChange,
  StoredList,
  WatchEvent,
  WatchOptions,
  Watcher,
} from '../store.js';
import type { EncryptionConfig } from './encryption-config.js';
import { openValue, sealValue } from './value-cipher.js';

/** The field of a stored object that holds its sealed part (`k8s:enc:aesgcm:v1:key1:…`). */
export const SEALED_FIELD = 'stratus.dev/encrypted';

/** Where client-side `kubectl apply` keeps a copy of what it sent. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Top-level fields stored in plaintext: the store keys, selects and versions by them. */
const PLAIN = new Set(['apiVersion', 'kind', 'metadata', 'type']);

/** Options of an EncryptingStore. */
export interface EncryptingStoreOptions {
  /** Which resources are encrypted, and how (kube-apiserver's EncryptionConfiguration). */
  config: EncryptionConfig;
  /**
   * Fields never read back, by store resource (`{'accesskeys.iam.stratus.dev':
   * ['spec.secretAccessKey']}`): every read leaves them out but a create's reply, an update that
   * omits one keeps the stored value, and one that names another value is refused. Default none.
   */
  writeOnly?: Readonly<Record<string, readonly string[]>>;
}

interface Shared {
  /** `resource/namespace/name` → resourceVersion of objects read in a form due for a rewrite. */
  stale: Map<string, string>;
  reveal: boolean;
}

const keyOf = (resource: string, o: KubeObject): string =>
  `${resource}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

function getPath(o: KubeObject, path: readonly string[]): unknown {
  let cur: unknown = o;
  for (const p of path)
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
}

/** A copy of `o` with the value at `path` set (or removed when undefined), copying along the path. */
function setPath(o: KubeObject, path: readonly string[], value: unknown): KubeObject {
  const write = (node: unknown, i: number): unknown => {
    const copy: Record<string, unknown> = { ...(node !== null && typeof node === 'object' ? node : {}) };
    const k = path[i] ?? '';
    if (i === path.length - 1) {
      if (value === undefined) delete copy[k];
      else copy[k] = value;
    } else copy[k] = write(copy[k], i + 1);
    return copy;
  };
  return write(o, 0) as KubeObject;
}

/**
 * Encryption at rest between the API and the store, as kube-apiserver's storage transformers:
 * objects of the configured resources are written with everything but their identity
 * (`apiVersion`, `kind`, `metadata` without annotations, `type`) sealed by the first provider
 * into one field, `stratus.dev/encrypted: k8s:enc:aesgcm:v1:KEY:…`; reads open whatever a
 * configured provider sealed. So the store (SQLite file, etcd, its history) holds only
 * ciphertext of secret values, and everything above this class — the API, the watch cache
 * that wraps it, admission, controllers — sees plaintext. Labels, names and `type` stay
 * readable: the store filters by them. An object read in a form another key (or none) made is
 * remembered as stale, so an update that changes nothing still rewrites it (`isStale`).
 *
 * Write-only fields (an AccessKey's secret) are left out of every read except the reply to
 * the create that set them; `revealing()` is a view that shows them, for the S3 gateway alone.
 */
export class EncryptingStore implements Store {
  private readonly shared: Shared;

  constructor(
    private readonly inner: Store,
    private readonly options: EncryptingStoreOptions,
    shared?: Shared,
  ) {
    this.shared = shared ?? { stale: new Map(), reveal: false };
  }

  /** The same store showing write-only fields: for the S3 gateway's credential cache only. */
  revealing(): EncryptingStore {
    return new EncryptingStore(this.inner, this.options, { stale: this.shared.stale, reveal: true });
  }

  private handles(resource: string): boolean {
    return (
      this.options.config.providersFor(resource) !== undefined ||
      this.options.writeOnly?.[resource] !== undefined
    );
  }

  async get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const o = await this.inner.get(resource, namespace, name);
    return o === undefined || !this.handles(resource) ? o : this.hide(resource, this.open(resource, o));
  }

  async list(resource: string, options?: ListOptions): Promise<ListResult> {
    const r = await this.inner.list(resource, options);
    if (!this.handles(resource)) return r;
    return { ...r, items: r.items.map((o) => this.hide(resource, this.open(resource, o))) };
  }

  async create(resource: string, object: KubeObject): Promise<KubeObject> {
    if (!this.handles(resource)) return this.inner.create(resource, object);
    const stored = await this.inner.create(resource, this.seal(resource, object));
    // The create's reply is the one read that shows write-only fields.
    return this.plaintext(object, stored);
  }

  async update(resource: string, object: KubeObject): Promise<KubeObject> {
    if (!this.handles(resource)) return this.inner.update(resource, object);
    const complete = await this.keepWriteOnly(resource, object);
    const stored = await this.inner.update(resource, this.seal(resource, complete));
    this.shared.stale.delete(keyOf(resource, stored));
    return this.hide(resource, this.plaintext(complete, stored));
  }

  async delete(
    resource: string,
    namespace: string,
    name: string,
    options?: { expectedResourceVersion?: string },
  ): Promise<KubeObject> {
    const last = await this.inner.delete(resource, namespace, name, options);
    if (!this.handles(resource)) return last;
    this.shared.stale.delete(keyOf(resource, last));
    try {
      return this.hide(resource, this.open(resource, last));
    } catch {
      // Gone anyway: deleting what no configured key opens must work (a lost key's objects).
      const { [SEALED_FIELD]: _sealed, ...rest } = last;
      return rest;
    }
  }

  watch(resource: string, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<Watcher> {
    if (!this.handles(resource)) return this.inner.watch(resource, options, onEvent);
    return this.inner.watch(resource, options, (event) => {
      let object: KubeObject;
      try {
        object = this.hide(resource, this.open(resource, event.object));
      } catch (err) {
        process.emitWarning(`watch of ${resource} skipped an object: ${(err as Error).message}`);
        return;
      }
      onEvent({ ...event, object });
    });
  }

  /**
   * Changes as stored, for the watch cache: a resource this store leaves in plaintext passes
   * through untouched (no parse, no re-serialization per write); an encrypted one is opened
   * (and write-only fields hidden) and serialized again, as `watch` shows it.
   */
  watchStored(
    resource: string,
    fromRevision: number,
    onChange: (change: StoredChange) => void,
  ): Promise<Watcher> {
    if (!this.handles(resource) && this.inner.watchStored !== undefined) {
      return this.inner.watchStored(resource, fromRevision, onChange);
    }
    return this.watch(resource, { fromRevision }, (e) =>
      onChange({
        type: e.type,
        revision: e.revision,
        namespace: e.object.metadata.namespace ?? '',
        name: e.object.metadata.name ?? '',
        value: JSON.stringify(e.object),
      }),
    );
  }

  /** Objects as stored, for the watch cache to load from; opened as `list` when encrypted. */
  async listStored(
    resource: string,
    options: Pick<ListOptions, 'limit' | 'continue'> = {},
  ): Promise<StoredList> {
    if (!this.handles(resource) && this.inner.listStored !== undefined) {
      return this.inner.listStored(resource, options);
    }
    const page = await this.list(resource, options);
    return {
      revision: page.revision,
      items: page.items.map((o) => ({
        namespace: o.metadata.namespace ?? '',
        name: o.metadata.name ?? '',
        value: JSON.stringify(o),
      })),
      ...(page.continue !== undefined ? { continue: page.continue } : {}),
    };
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  isStale(resource: string, object: KubeObject): boolean {
    const rv = this.shared.stale.get(keyOf(resource, object));
    return rv !== undefined && rv === object.metadata.resourceVersion;
  }

  /** The stored form: identity fields in plaintext, the rest sealed by the first provider. */
  private seal(resource: string, object: KubeObject): KubeObject {
    const first = this.options.config.providersFor(resource)?.[0];
    if (first === undefined || first.type === 'identity') return object;
    const kept: Record<string, unknown> = {};
    const hidden: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(object)) (PLAIN.has(k) ? kept : hidden)[k] = v;
    const { annotations, ...metadata } = object.metadata;
    if (annotations !== undefined) hidden['metadata.annotations'] = annotations;
    kept.metadata = metadata;
    kept[SEALED_FIELD] = sealValue(first, JSON.stringify(hidden), keyOf(resource, object));
    return kept as KubeObject;
  }

  /** The plaintext of a stored object; notes whether its form is due for a rewrite. */
  private open(resource: string, stored: KubeObject): KubeObject {
    const key = keyOf(resource, stored);
    const rv = stored.metadata.resourceVersion ?? '';
    const providers = this.options.config.providersFor(resource) ?? [];
    const sealed = stored[SEALED_FIELD];
    let object = stored;
    let stale: boolean;
    if (typeof sealed === 'string') {
      const opened = openValue(providers, sealed, key);
      const { 'metadata.annotations': annotations, ...fields } = JSON.parse(opened.plaintext) as Record<
        string,
        unknown
      >;
      const { [SEALED_FIELD]: _sealed, ...kept } = stored;
      const metadata = annotations === undefined ? stored.metadata : { ...stored.metadata, annotations };
      object = { ...kept, ...fields, metadata } as KubeObject;
      stale = opened.stale;
    } else {
      stale = providers[0] !== undefined && providers[0].type !== 'identity';
    }
    if (stale) this.shared.stale.set(key, rv);
    else this.shared.stale.delete(key);
    return object;
  }

  /** What a write returns: the plaintext written, with what the store set (resourceVersion). */
  private plaintext(written: KubeObject, stored: KubeObject): KubeObject {
    return {
      ...written,
      metadata: { ...written.metadata, resourceVersion: stored.metadata.resourceVersion ?? '' },
    };
  }

  /**
   * Leaves out write-only fields, unless this view reveals them; also from the copy
   * `kubectl apply` keeps in the last-applied-configuration annotation.
   */
  private hide(resource: string, object: KubeObject): KubeObject {
    const fields = this.options.writeOnly?.[resource];
    if (fields === undefined || this.shared.reveal) return object;
    const strip = (o: KubeObject): KubeObject => {
      let out = o;
      for (const f of fields)
        if (getPath(out, f.split('.')) !== undefined) out = setPath(out, f.split('.'), undefined);
      return out;
    };
    const out = strip(object);
    const applied = out.metadata.annotations?.[LAST_APPLIED];
    if (applied === undefined) return out;
    let text: string;
    try {
      text = JSON.stringify(strip(JSON.parse(applied) as KubeObject));
    } catch {
      text = '{}'; // Not JSON: not something kubectl wrote; shown as empty rather than as is.
    }
    return setPath(out, ['metadata', 'annotations', LAST_APPLIED], text);
  }

  /** An update keeps the stored value of a write-only field it omits, and may not change it. */
  private async keepWriteOnly(resource: string, object: KubeObject): Promise<KubeObject> {
    const fields = this.options.writeOnly?.[resource];
    if (fields === undefined) return object;
    const current = await this.inner.get(
      resource,
      object.metadata.namespace ?? '',
      object.metadata.name ?? '',
    );
    if (current === undefined) return object;
    const stored = this.open(resource, current);
    let out = object;
    for (const f of fields) {
      const path = f.split('.');
      const was = getPath(stored, path);
      const now = getPath(out, path);
      if (now === undefined) out = setPath(out, path, was);
      else if (was !== undefined && now !== was) {
        throw new StoreError(
          'STORE_FIELD_IMMUTABLE',
          422,
          `${resource} "${object.metadata.name ?? ''}" is invalid: ${f}: Invalid value: "<hidden>": field is immutable`,
        );
      }
    }
    return out;
  }
}
