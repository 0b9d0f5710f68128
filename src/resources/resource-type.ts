import type { KubeObject } from '../common/kube-object.js';
import type { SchemaDocument, SchemaNode } from './schema.js';

/**
 * Everything the API server needs to know of one kind: where it lives on the wire, how it is
 * defaulted and validated, and how `kubectl get` shows it. One registry holds them all
 * (`registry.ts`); the API server, discovery, OpenAPI and the CLI read it.
 */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** The lowercase plural used in URLs: `deployments`. */
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** `['all']` for the kinds `kubectl get all` shows. */
  categories: string[];
  verbs: string[];
  /** Subresources served under the object's path. */
  subresources: Array<
    'status' | 'scale' | 'log' | 'binding' | 'eviction' | 'token' | 'exec' | 'attach' | 'portforward'
  >;
  /** The store key, in GroupResource form: `deployments.apps`, `pods`. */
  storageResource: string;
  /** The schema of the whole object, resolvable against `schemas`. */
  schema: SchemaNode;
  schemas: SchemaDocument;
  /** For kinds with a scale subresource: where replicas and the selector live. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
  /**
   * Checks the fields of a decoded request body against the schema, as Kubernetes' decoder
   * does: ill-typed fields are always errors; unknown fields are errors with `Strict`, dropped
   * with a warning (`unknown field "spec.foo"`) with `Warn`, dropped silently with `Ignore`.
   * Returns the object without the dropped fields.
   */
  decode(object: KubeObject, fieldValidation: 'Strict' | 'Warn' | 'Ignore'): DecodeResult;
  /** Fills in defaults, as Kubernetes' defaulters do. Returns a new object. */
  defaults(object: KubeObject): KubeObject;
  /**
   * Checks an object (after defaulting) against its schema and Kubernetes' validation rules.
   * `old` is set on update, for immutable fields. An empty array means valid.
   */
  validate(object: KubeObject, old?: KubeObject): FieldError[];
  /** The columns `kubectl get` shows; priority 1 columns appear with `-o wide`. */
  columns: ColumnDefinition[];
  /** One table row's cells, in column order. `now` is for AGE columns. */
  cells(object: KubeObject, now: number): unknown[];
  /**
   * Set on a version that is not the stored one (autoscaling/v1 HorizontalPodAutoscaler): the
   * store holds objects of the kind registered first under the same storageResource, and these
   * convert a request's object to it and a stored object back.
   */
  conversion?: { toStorage(object: KubeObject): KubeObject; fromStorage(object: KubeObject): KubeObject };
}

export interface DecodeResult {
  object: KubeObject;
  errors: FieldError[];
  warnings: string[];
}

/** One invalid field, in Kubernetes' StatusCause form. */
export interface FieldError {
  /** `FieldValueInvalid`, `FieldValueRequired`, `FieldValueNotSupported`, `FieldValueDuplicate`, `FieldValueTypeInvalid`, or `UnknownField`. */
  reason: string;
  /** The JSON path of the field: `spec.template.spec.containers[0].image`. */
  field: string;
  /** What is wrong, with the value: `Invalid value: "Foo": must be lowercase`. */
  message: string;
}

/** A Table column, as in meta.k8s.io/v1 TableColumnDefinition. */
export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}
