import type { ResourceType, SchemaNode } from '../resources/index.js';

/** A Swagger 2.0 document as JSON (`/openapi/v2`). */
export type SwaggerDocument = Record<string, unknown>;

const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';
/**
 * Kubernetes' `patchStrategy` tags on struct (not list) fields of the kinds served, which the
 * schema document (list extensions only) does not carry. kubectl needs this one to send
 * `$retainKeys` when `kubectl apply` switches a Deployment from RollingUpdate to Recreate.
 */
const STRUCT_PATCH_STRATEGIES: Record<string, string> = {
  'io.k8s.api.apps.v1.DeploymentSpec.strategy': 'retainKeys',
};
const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/**
 * The Swagger 2.0 document kube-apiserver serves at `/openapi/v2`, for the kinds this server
 * serves: every schema definition they use (from the resources part's schema document, with
 * Kubernetes' `x-kubernetes-*` extensions: group-version-kind on each kind, patch merge keys and
 * strategies, list types), a `…List` definition per kind, and the CRUD paths of each resource
 * with their operations' `x-kubernetes-action` and group-version-kind. kubectl reads it (in its
 * protobuf form) to validate the items of `kind: List` files and to build strategic merge
 * patches; as for custom resources, Stratus' own kinds take no strategic merge patch.
 */
export function swaggerDocument(types: readonly ResourceType[], version: string): SwaggerDocument {
  const definitions: Record<string, unknown> = {};
  const paths: Record<string, unknown> = {};
  const pending: string[] = [];
  const kinds = new Map<string, ResourceType>();
  for (const t of types) {
    const ref = t.schema.type === 'ref' ? t.schema.ref : undefined;
    if (ref === undefined) continue;
    kinds.set(ref, t);
    pending.push(ref);
    const listName = `${ref}List`;
    definitions[listName] = {
      description: `${t.listKind} is a list of ${t.kind} objects.`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        items: { type: 'array', items: { $ref: `#/definitions/${ref}` } },
        kind: { type: 'string' },
        metadata: { $ref: `#/definitions/${LIST_META}` },
      },
      'x-kubernetes-group-version-kind': [gvk(t, t.listKind)],
    };
    Object.assign(paths, resourcePaths(t, ref, listName));
  }
  const schemas = types[0]?.schemas;
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (definitions[name] !== undefined) continue;
    const node = schemas?.definitions[name];
    if (node === undefined) throw new TypeError(`schema definition ${name} is missing`);
    const schema = toSwagger(node, pending, name);
    const kind = kinds.get(name);
    if (kind !== undefined) schema['x-kubernetes-group-version-kind'] = [gvk(kind, kind.kind)];
    definitions[name] = schema;
  }
  definitions[LIST_META] = {
    description: 'ListMeta describes metadata that synthetic resources must have.',
    type: 'object',
    properties: {
      continue: { type: 'string' },
      remainingItemCount: { type: 'integer', format: 'int64' },
      resourceVersion: { type: 'string' },
      selfLink: { type: 'string' },
    },
  };
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version },
    paths: sortKeys(paths),
    definitions: sortKeys(definitions),
    securityDefinitions: {
      BearerToken: {
        type: 'apiKey',
        name: 'authorization',
        in: 'header',
        description: 'Bearer Token authentication',
      },
    },
    security: [{ BearerToken: [] }],
  };
}

/**
 * A schema node in Swagger's form; names of the definitions it refers to are pushed on `refs`.
 * `definition` names the definition whose properties these are (for struct patch strategies).
 */
function toSwagger(node: SchemaNode, refs: string[], definition = ''): Record<string, unknown> {
  switch (node.type) {
    case 'ref':
      refs.push(node.ref);
      return { $ref: `#/definitions/${node.ref}` };
    case 'object': {
      const properties: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node.properties)) {
        const property = toSwagger(v, refs);
        const strategy = STRUCT_PATCH_STRATEGIES[`${definition}.${k}`];
        properties[k] = strategy ? { ...property, 'x-kubernetes-patch-strategy': strategy } : property;
      }
      return {
        type: 'object',
        ...(node.required && node.required.length > 0 ? { required: node.required } : {}),
        properties,
      };
    }
    case 'map':
      return { type: 'object', additionalProperties: toSwagger(node.values, refs) };
    case 'array': {
      const out: Record<string, unknown> = { type: 'array', items: toSwagger(node.items, refs) };
      if (node.mergeKey !== undefined) out['x-kubernetes-patch-merge-key'] = node.mergeKey;
      if (node.patchStrategy !== undefined) out['x-kubernetes-patch-strategy'] = node.patchStrategy;
      if (node.listType !== undefined) out['x-kubernetes-list-type'] = node.listType;
      if (node.listMapKeys !== undefined) out['x-kubernetes-list-map-keys'] = node.listMapKeys;
      return out;
    }
    case 'int-or-string':
      return { type: 'string', format: 'int-or-string' };
    case 'quantity':
      return { type: 'string' };
    case 'any':
      return {};
    default:
      return { type: node.type };
  }
}

function gvk(t: ResourceType, kind: string): Record<string, string> {
  return { group: t.group, version: t.version, kind };
}

/** The collection and object paths of one resource, with kube-apiserver's operation names. */
function resourcePaths(t: ResourceType, ref: string, listName: string): Record<string, unknown> {
  const prefix = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const collection = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`;
  const scope = t.namespaced ? 'Namespaced' : '';
  const tag = t.group === '' ? `core_${t.version}` : `${t.group}_${t.version}`;
  const op = (
    action: string,
    verb: string,
    responseRef: string | undefined,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> => ({
    description: `${action} ${t.kind}`,
    consumes: ['*/*'],
    produces: JSON_TYPES,
    schemes: ['https'],
    tags: [tag],
    operationId: `${verb}${scope}${t.kind}`,
    responses: {
      '200': {
        description: 'OK',
        ...(responseRef ? { schema: { $ref: `#/definitions/${responseRef}` } } : {}),
      },
      '401': { description: 'Unauthorized' },
    },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk(t, t.kind),
    ...extra,
  });
  const body = (required: boolean): Record<string, unknown> => ({
    name: 'body',
    in: 'body',
    required,
    schema: { $ref: `#/definitions/${ref}` },
  });
  const query = (name: string, type = 'string'): Record<string, unknown> => ({
    name,
    in: 'query',
    type,
    uniqueItems: true,
  });
  const writeParams = [query('dryRun'), query('fieldManager'), query('fieldValidation')];
  const pathParams = [
    { name: 'name', in: 'path', required: true, type: 'string', uniqueItems: true },
    ...(t.namespaced
      ? [{ name: 'namespace', in: 'path', required: true, type: 'string', uniqueItems: true }]
      : []),
    query('pretty'),
  ];
  const patchTypes = t.group.endsWith('stratus.dev')
    ? PATCH_TYPES.filter((p) => !p.includes('strategic'))
    : PATCH_TYPES;
  return {
    [collection]: {
      get: op('list', 'list', listName, {
        parameters: ['labelSelector', 'fieldSelector', 'continue', 'resourceVersion']
          .map((n) => query(n))
          .concat([
            query('limit', 'integer'),
            query('watch', 'boolean'),
            query('allowWatchBookmarks', 'boolean'),
            query('sendInitialEvents', 'boolean'),
          ]),
      }),
      post: op('post', 'create', ref, { parameters: [body(true), ...writeParams] }),
      parameters: pathParams.slice(1),
    },
    [`${collection}/{name}`]: {
      get: op('get', 'read', ref),
      put: op('put', 'replace', ref, { parameters: [body(true), ...writeParams] }),
      patch: op('patch', 'patch', ref, {
        consumes: patchTypes,
        parameters: [
          { ...body(true), schema: { type: 'object' } },
          ...writeParams,
          query('force', 'boolean'),
        ],
      }),
      delete: op('delete', 'delete', undefined, {
        parameters: [query('gracePeriodSeconds', 'integer'), query('propagationPolicy'), query('dryRun')],
      }),
      parameters: pathParams,
    },
  };
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
