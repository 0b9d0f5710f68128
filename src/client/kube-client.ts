import type { KubeObject } from '../common/kube-object.js';
import type {
  ListOptions,
  NamespaceOption,
  RequestOptions,
  ResourceRef,
  WatchOptions,
  WriteOptions,
} from './client-options.js';
import { fetchDiscovery } from './discovery-fetch.js';
import type { ClientOptions } from './client-options.js';
import { resolveResource, resourceForKind, resourcePath, type ResourceInfo } from './discovery.js';
import { StatusError, UnknownKindError, UnknownResourceError, type KubeStatus } from './errors.js';
import { loadKubeconfig } from './kubeconfig-file.js';
import type { ClusterConfig } from './kubeconfig.js';
import { parseNdjson } from './ndjson.js';
import { HttpTransport, readBody } from './transport.js';
import type { IncomingMessage } from 'node:http';
import type { KubeList, Table, WatchEvent } from './types.js';

const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/**
 * A small Kubernetes REST client over keep-alive HTTP(S) (trusting the kubeconfig's CA), for
 * the CLI and for later parts that talk to the API server from another process (node agent,
 * controllers). It resolves resource names through discovery (cached per client), speaks JSON,
 * Tables and watch streams, and turns every refusal into a StatusError carrying the server's
 * Status. `close()` ends the watches it started.
 */
export class KubeClient {
  /** The server, token and default namespace in use. */
  readonly config: ClusterConfig;
  private discovery: Promise<ResourceInfo[]> | undefined;
  private readonly closing = new AbortController();
  private readonly transport: HttpTransport;

  private readonly onWarning: ((message: string) => void) | undefined;

  /** `onWarning` receives the server's `Warning` headers (deprecations, dropped fields); default: ignored. */
  constructor(config: ClusterConfig, options: ClientOptions = {}) {
    this.config = config;
    this.onWarning = options.onWarning;
    this.transport = new HttpTransport({
      server: config.server,
      ...(config.certificateAuthorityData === undefined ? {} : { ca: config.certificateAuthorityData }),
      ...(config.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    });
  }

  /** A client for the current context of a kubeconfig file. */
  static fromKubeconfig(
    path: string,
    options: ClientOptions & { context?: string; namespace?: string } = {},
  ): KubeClient {
    const config = loadKubeconfig(path, options.context === undefined ? {} : { context: options.context });
    if (options.namespace) config.namespace = options.namespace;
    return new KubeClient(config, options.onWarning ? { onWarning: options.onWarning } : {});
  }

  /** The namespace used when a call names none. */
  get namespace(): string {
    return this.config.namespace;
  }

  /**
   * Sends one request and returns the HTTP status, headers and parsed body (JSON when the
   * server says so, else text). Non-2xx answers throw StatusError; unreachable servers throw
   * ConnectionError.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: T }> {
    const res = await this.send(method, path, options);
    if (this.onWarning) for (const w of parseWarnings(res.headers['warning'])) this.onWarning(w);
    const text = await readBody(res);
    const body = isJson(res) && text !== '' ? (JSON.parse(text) as unknown) : text;
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw toStatusError(status, body);
    return { status, headers: res.headers, body: body as T };
  }

  /** Every resource the server serves, from aggregated discovery (or the legacy documents). */
  async discover(options: { refresh?: boolean } = {}): Promise<ResourceInfo[]> {
    if (!this.discovery || options.refresh) {
      const pending = fetchDiscovery((path, options) => this.request('GET', path, options));
      this.discovery = pending;
      pending.catch(() => {
        if (this.discovery === pending) this.discovery = undefined;
      });
    }
    return this.discovery;
  }

  /** The resource a user's name means; UnknownResourceError when discovery knows none. */
  async resolve(ref: ResourceRef): Promise<ResourceInfo> {
    if (typeof ref !== 'string') return ref;
    const found = resolveResource(await this.discover(), ref);
    if (!found) throw new UnknownResourceError(ref);
    return found;
  }

  /** The resource serving an object's apiVersion and kind. */
  async resolveKind(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let found = resourceForKind(await this.discover(), apiVersion, kind);
    if (!found) found = resourceForKind(await this.discover({ refresh: true }), apiVersion, kind);
    if (!found) throw new UnknownKindError(apiVersion, kind);
    return found;
  }

  /** One object. */
  async get(ref: ResourceRef, name: string, options: NamespaceOption = {}): Promise<KubeObject> {
    const info = await this.resolve(ref);
    return (await this.request<KubeObject>('GET', this.path(info, options, name))).body;
  }

  /** A collection, as a `…List` object. */
  async list(ref: ResourceRef, options: ListOptions = {}): Promise<KubeList> {
    const info = await this.resolve(ref);
    return (
      await this.request<KubeList>('GET', this.collectionPath(info, options), { query: listQuery(options) })
    ).body;
  }

  /** A collection (or with `name`, one object) as the server's Table, for printing. */
  async table(ref: ResourceRef, options: ListOptions & { name?: string } = {}): Promise<Table> {
    const info = await this.resolve(ref);
    const path =
      options.name === undefined
        ? this.collectionPath(info, options)
        : this.path(info, options, options.name);
    const query = options.name === undefined ? listQuery(options) : {};
    return (await this.request<Table>('GET', path, { query, accept: TABLE_ACCEPT })).body;
  }

  /** Creates an object; its namespace comes from the object, then options, then the default. */
  async create(ref: ResourceRef, object: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const info = await this.resolve(ref);
    const ns = { namespace: object.metadata.namespace ?? options.namespace ?? this.namespace };
    return (
      await this.request<KubeObject>('POST', this.collectionPath(info, ns), {
        body: object,
        query: writeQuery(options),
      })
    ).body;
  }

  /** Replaces an object (PUT); a stale `metadata.resourceVersion` fails with Conflict. */
  async update(ref: ResourceRef, object: KubeObject, options: WriteOptions & { subresource?: string } = {}) {
    const info = await this.resolve(ref);
    const name = requireName(object);
    const ns = { namespace: object.metadata.namespace ?? options.namespace ?? this.namespace };
    const path = this.path(info, ns, name, options.subresource);
    return (await this.request<KubeObject>('PUT', path, { body: object, query: writeQuery(options) })).body;
  }

  /** Patches an object: merge (default), JSON or strategic merge patch. */
  async patch(
    ref: ResourceRef,
    name: string,
    patch: unknown,
    options: WriteOptions & { type?: 'merge' | 'json' | 'strategic'; subresource?: string } = {},
  ): Promise<KubeObject> {
    const info = await this.resolve(ref);
    const path = this.path(info, options, name, options.subresource);
    const contentType = PATCH_TYPES[options.type ?? 'merge'];
    return (
      await this.request<KubeObject>('PATCH', path, { body: patch, contentType, query: writeQuery(options) })
    ).body;
  }

  /**
   * Server-side apply of a whole manifest: one PATCH with `application/apply-patch+yaml`,
   * which creates the object when absent. `created` is true when the server answered 201.
   */
  async apply(
    object: KubeObject,
    options: WriteOptions & { fieldManager?: string; force?: boolean } = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const info = await this.resolveKind(object.apiVersion ?? '', object.kind ?? '');
    const name = requireName(object);
    const path = this.path(
      info,
      { namespace: object.metadata.namespace ?? options.namespace ?? this.namespace },
      name,
    );
    const query = {
      ...writeQuery(options),
      fieldManager: options.fieldManager ?? 'stratus',
      force: options.force ?? false,
    };
    const res = await this.request<KubeObject>('PATCH', path, {
      body: JSON.stringify(object),
      contentType: PATCH_TYPES.apply,
      query,
    });
    return { object: res.body, created: res.status === 201 };
  }

  /** Deletes an object and returns what the server answered (the object, or a Status). */
  async delete(
    ref: ResourceRef,
    name: string,
    options: NamespaceOption & {
      propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
      dryRun?: boolean;
    } = {},
  ): Promise<KubeObject | KubeStatus> {
    const info = await this.resolve(ref);
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: options.propagationPolicy ?? 'Background',
    };
    const query = options.dryRun ? { dryRun: 'All' } : {};
    return (await this.request<KubeObject>('DELETE', this.path(info, options, name), { body, query })).body;
  }

  /**
   * Watches a collection: an async iterator of `{type, object}` events read from the
   * newline-delimited JSON stream. It ends when the server closes the stream, `signal` aborts,
   * or the client closes; an ERROR event throws its Status as a StatusError.
   */
  async *watch(ref: ResourceRef, options: WatchOptions = {}): AsyncGenerator<WatchEvent, void, undefined> {
    const signals = [this.closing.signal, ...(options.signal ? [options.signal] : [])];
    const signal = AbortSignal.any(signals);
    let info: ResourceInfo;
    try {
      info = await this.resolve(ref);
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const query = {
      ...listQuery(options),
      watch: true,
      resourceVersion: options.resourceVersion,
      allowWatchBookmarks: options.allowWatchBookmarks,
      timeoutSeconds: options.timeoutSeconds,
    };
    let res: IncomingMessage;
    try {
      res = await this.send('GET', this.collectionPath(info, options), {
        query,
        signal,
        ...(options.table ? { accept: TABLE_ACCEPT } : {}),
      });
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const text = await readBody(res);
      throw toStatusError(status, isJson(res) && text ? (JSON.parse(text) as unknown) : text);
    }
    try {
      for await (const value of parseNdjson(res)) {
        const event = value as WatchEvent;
        if ((event.type as string) === 'ERROR') {
          const status = event.object as KubeStatus;
          throw new StatusError(status.code ?? 500, status);
        }
        yield event;
      }
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    } finally {
      res.destroy();
    }
  }

  /** Ends every watch this client started and closes its pooled connections. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.transport.close();
  }

  /** The path of one object (or its subresource), defaulting the namespace. */
  path(info: ResourceInfo, options: NamespaceOption, name: string, subresource?: string): string {
    const namespace = options.namespace ?? this.namespace;
    return resourcePath(info, { namespace, name, ...(subresource ? { subresource } : {}) });
  }

  private collectionPath(info: ResourceInfo, options: ListOptions): string {
    if (options.allNamespaces) return resourcePath(info);
    return resourcePath(info, { namespace: options.namespace ?? this.namespace });
  }

  private send(method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    const url = new URL(this.config.server + path);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = {
      accept: options.accept ?? 'application/json',
      'user-agent': 'stratus',
    };
    if (this.config.token) headers['authorization'] = `Bearer ${this.config.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    return this.transport.send({
      method,
      url,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
}

/**
 * The messages of HTTP `Warning` headers (`299 - "unknown field \"spec.foo\""`), as kubectl
 * prints them. Node joins repeated headers with `, `, so values are read as quoted strings.
 */
export function parseWarnings(header: string | undefined): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const m of header.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g))
    out.push((m[1] ?? '').replace(/\\(.)/g, '$1'));
  return out;
}

function listQuery(options: ListOptions): Record<string, string | number | undefined> {
  return { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: options.limit };
}

function writeQuery(options: WriteOptions): Record<string, string | undefined> {
  return { dryRun: options.dryRun ? 'All' : undefined, fieldValidation: options.fieldValidation ?? 'Strict' };
}

function requireName(object: KubeObject): string {
  const name = object.metadata?.name;
  if (!name) throw new TypeError(`${object.kind ?? 'object'} has no metadata.name`);
  return name;
}

function isJson(res: IncomingMessage): boolean {
  return (res.headers['content-type'] ?? '').includes('json');
}

function toStatusError(code: number, body: unknown): StatusError {
  if (typeof body === 'object' && body !== null && (body as KubeStatus).kind === 'Status') {
    return new StatusError(code, body as KubeStatus);
  }
  const text = typeof body === 'string' ? body.trim() : JSON.stringify(body);
  return new StatusError(code, { message: text || `the server responded with HTTP ${code}` });
}
