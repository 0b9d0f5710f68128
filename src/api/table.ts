import type { KubeObject } from '../common/kube-object.js';
import type { ResourceType } from '../resources/index.js';

/** The Content-Type of a Table reply; kubectl checks it before reading the body as a Table. */
export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

/** `includeObject` of a Table request: what each row carries besides its cells. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** A meta.k8s.io/v1 Table, the form `kubectl get` prints. */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: ResourceType['columns'];
  rows: TableRow[];
}

/** One row of a Table. */
export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

/** Reads `includeObject` from a query; Kubernetes' default is `Metadata`. */
export function parseIncludeObject(value: string | null): IncludeObject {
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

/**
 * Builds the Table for a list of objects (or one object: a Table with one row, which is also
 * the object of a Table-form watch event). Cells come from the registry; the row object is a
 * PartialObjectMetadata unless the client asked for the whole object.
 */
export function buildTable(
  type: ResourceType,
  objects: readonly KubeObject[],
  options: {
    now: number;
    includeObject: IncludeObject;
    resourceVersion?: string;
    continue?: string;
    remainingItemCount?: number;
  },
): Table {
  const metadata: Table['metadata'] = {};
  if (options.resourceVersion !== undefined) metadata.resourceVersion = options.resourceVersion;
  if (options.continue !== undefined) metadata.continue = options.continue;
  if (options.remainingItemCount !== undefined) metadata.remainingItemCount = options.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: type.columns,
    rows: objects.map((o) => tableRow(type, o, options.now, options.includeObject)),
  };
}

/** One Table row for an object. */
export function tableRow(
  type: ResourceType,
  object: KubeObject,
  now: number,
  includeObject: IncludeObject,
): TableRow {
  const row: TableRow = { cells: type.cells(object, now) };
  if (includeObject === 'Object') row.object = object;
  else if (includeObject === 'Metadata') row.object = partialObjectMetadata(object);
  return row;
}

/** The meta.k8s.io/v1 PartialObjectMetadata of an object: its type and metadata only. */
export function partialObjectMetadata(object: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}
