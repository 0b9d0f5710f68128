import type { KubeObject } from '../common/kube-object.js';

/** A `…List` answer: items plus the list's resourceVersion (where a watch resumes). */
export interface KubeList {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: KubeObject[];
}

/** A meta.k8s.io/v1 Table column. */
export interface TableColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
}

/** A meta.k8s.io/v1 Table row: cells in column order, and the object (or its metadata). */
export interface TableRow {
  cells: unknown[];
  object?: KubeObject;
}

/** A meta.k8s.io/v1 Table: what the API server sends for `kubectl get`. */
export interface Table {
  kind: 'Table';
  apiVersion?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

/** One watch event. `object` is a one-row Table when the watch asked for tables. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: KubeObject;
}
