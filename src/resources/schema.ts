/**
 * The compact schema of Kubernetes types that strict validation, the OpenAPI documents,
 * strategic merge patch and server-side apply all read. It is generated from the
 * `kubernetes-types` declarations by `scripts/gen-schemas.ts` into `schemas/*.json`, plus a
 * table of list merge keys, since those are not in the declarations.
 */
export type SchemaNode =
  | ObjectSchema
  | MapSchema
  | ArraySchema
  | { type: 'string' | 'integer' | 'number' | 'boolean' }
  /** IntOrString: an integer or a string (`maxSurge: 25%`, `targetPort: http`). */
  | { type: 'int-or-string' }
  /** resource.Quantity: a string such as `500m` or `1Gi`, or a number. */
  | { type: 'quantity' }
  /** Free-form JSON (RawExtension, JSON fields). */
  | { type: 'any' }
  /** A named definition in the same schema document. */
  | { type: 'ref'; ref: string };

/** A struct: only the listed properties are allowed. */
export interface ObjectSchema {
  type: 'object';
  properties: Record<string, SchemaNode>;
  required?: string[];
}

/** map[string]T: labels, annotations, ConfigMap data. */
export interface MapSchema {
  type: 'map';
  values: SchemaNode;
}

export interface ArraySchema {
  type: 'array';
  items: SchemaNode;
  /**
   * Strategic merge patch: the field that identifies an element (`name` for containers,
   * `containerPort` for container ports). Absent: the list is replaced whole.
   */
  mergeKey?: string;
  /** Strategic merge patch strategy: `merge` lists merge by mergeKey (or as a set for scalars). */
  patchStrategy?: 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';
  /** Server-side apply: `map` lists are keyed by listMapKeys, `set` lists hold unique scalars. */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
}

/** A schema document: named definitions that nodes refer to with `{type: 'ref'}`. */
export interface SchemaDocument {
  definitions: Record<string, SchemaNode>;
}
