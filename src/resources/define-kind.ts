import type { KubeObject } from '../common/kube-object.js';
import type { ColumnDefinition, FieldError, ResourceType } from './resource-type.js';
import type { SchemaDocument } from './schema.js';
import { decode } from './decode.js';
import { checkRequired } from './required-fields.js';
import { validateObjectMeta, type NameRule } from './object-meta.js';

/** Every verb Kubernetes serves on a plain resource. */
export const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/**
 * What a kind file declares; `defineKind` turns it into a full ResourceType. The defaults hook
 * gets a private deep copy and changes it in place; the validate hook must not change what it
 * is given.
 */
export interface KindDefinition {
  group: string;
  version: string;
  kind: string;
  plural: string;
  /** Default: the kind in lower case. */
  singular?: string;
  shortNames?: string[];
  namespaced: boolean;
  categories?: string[];
  subresources?: ResourceType['subresources'];
  /** The schema definition of the whole object: `io.k8s.api.apps.v1.Deployment`. */
  schemaRef: string;
  /** The rule for `metadata.name`; default `subdomain`. */
  nameRule?: NameRule;
  scale?: ResourceType['scale'];
  /**
   * The verbs served; default all of STANDARD_VERBS. The review kinds
   * (`selfsubjectaccessreviews`, …) are `['create']`: they are answered, never stored.
   */
  verbs?: string[];
  /** Fills defaults into `object` in place. */
  defaults?(object: KubeObject): void;
  /** Kind-specific validation, after the shared metadata and required-field checks. */
  validate?(object: KubeObject, old: KubeObject | undefined): FieldError[];
  columns: ColumnDefinition[];
  cells(object: KubeObject, now: number): unknown[];
  /** For a version not stored as such: how its objects convert to and from the stored version. */
  conversion?: ResourceType['conversion'];
}

/**
 * Builds a ResourceType from a kind definition and the shared schema document: wire names
 * (listKind, storageResource), decoding against the schema, and validation that always checks
 * object metadata and the schema's required fields before the kind's own rules. Duplicate
 * field errors (the same field and reason found by two rules) are reported once.
 */
export function defineKind(def: KindDefinition, schemas: SchemaDocument): ResourceType {
  const schema = { type: 'ref' as const, ref: def.schemaRef };
  if (!schemas.definitions[def.schemaRef]) throw new TypeError(`no schema ${def.schemaRef} for ${def.kind}`);
  const rt: ResourceType = {
    group: def.group,
    version: def.version,
    kind: def.kind,
    listKind: `${def.kind}List`,
    plural: def.plural,
    singular: def.singular ?? def.kind.toLowerCase(),
    shortNames: def.shortNames ?? [],
    namespaced: def.namespaced,
    categories: def.categories ?? [],
    verbs: def.verbs ?? STANDARD_VERBS,
    subresources: def.subresources ?? [],
    storageResource: def.group ? `${def.plural}.${def.group}` : def.plural,
    schema,
    schemas,
    decode: (object, fieldValidation) => decode(schemas, schema, object, fieldValidation),
    defaults: (object) => {
      // A JSON round trip: objects are plain JSON, and it is faster than structuredClone.
      const copy = JSON.parse(JSON.stringify(object)) as KubeObject;
      def.defaults?.(copy);
      return copy;
    },
    validate: (object, old) => {
      const errs = [
        ...validateObjectMeta(object.metadata, {
          namespaced: def.namespaced,
          nameRule: def.nameRule ?? 'subdomain',
        }),
        ...checkRequired(schemas, schema, object),
        ...(def.validate?.(object, old) ?? []),
      ];
      const seen = new Set<string>();
      return errs.filter((e) => {
        const key = `${e.reason}\u0000${e.field}\u0000${e.message}`;
        const dup = seen.has(key) || (e.reason === 'FieldValueRequired' && seen.has(`req\u0000${e.field}`));
        seen.add(key);
        if (e.reason === 'FieldValueRequired') seen.add(`req\u0000${e.field}`);
        return !dup;
      });
    },
    columns: def.columns,
    cells: (object, now) => def.cells(object, now),
  };
  if (def.scale) rt.scale = def.scale;
  if (def.conversion) rt.conversion = def.conversion;
  return rt;
}
