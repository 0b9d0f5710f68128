import type { ResourceInfo } from './discovery.js';

/** A resource as discovery describes it, or a name to resolve (`deploy`, `deployments.apps`). */
export type ResourceRef = ResourceInfo | string;

/** Options of every object-addressed call. */
export interface NamespaceOption {
  /** The namespace of a namespaced resource; default: the kubeconfig context's namespace. */
  namespace?: string;
}

/** Options of list, table and watch calls. */
export interface ListOptions extends NamespaceOption {
  /** List across all namespaces (ignores `namespace`). Default false. */
  allNamespaces?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  /** At most this many items per page; default: all. */
  limit?: number;
}

/** Options of writes. */
export interface WriteOptions extends NamespaceOption {
  /** Ask the server to validate and default but not persist (`dryRun=All`). Default false. */
  dryRun?: boolean;
  /** How the server treats unknown fields. Default `Strict`, as kubectl sends. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

/** Options of a watch. */
export interface WatchOptions extends ListOptions {
  /** Events after this resourceVersion; default: from now (the server's choice). */
  resourceVersion?: string;
  /** Ask for each event's object as a one-row Table (as `kubectl get -w` does). Default false. */
  table?: boolean;
  /** Ask for BOOKMARK events (progress markers carrying only a resourceVersion). Default false. */
  allowWatchBookmarks?: boolean;
  /** Ask the server to end the stream after this many seconds. Default: the server's choice. */
  timeoutSeconds?: number;
  /** Stops the watch; the iterator then ends without error. */
  signal?: AbortSignal;
}

/** A low-level request. */
export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON-serialized unless a string. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
}

/** How a client reports what the server says besides answers. */
export interface ClientOptions {
  /** Called with each `Warning` header's message. Default: warnings are dropped. */
  onWarning?: (message: string) => void;
}
