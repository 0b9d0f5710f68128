import { bool, concat, message, str, strs, type Chunk } from './proto-writer.js';
import type { SwaggerDocument } from './openapi-v2.js';

type Json = Record<string, unknown>;

/**
 * The media type of the protobuf form in replies. kubectl asks for
 * `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, but Go's mime parser refuses the
 * `@`, so kube-apiserver answers with this spelling, as here.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/**
 * Encodes a Swagger 2.0 document as gnostic's `openapi.v2.Document` protobuf message, the form
 * kube-apiserver serves to `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
 * and the only one client-go's `OpenAPISchema()` reads. Field numbers are those of gnostic's
 * OpenAPIv2.proto; maps are repeated `Named…` pairs in the document's key order, and every
 * `x-…` key becomes a `NamedAny` whose value is its YAML text (JSON, which YAML parsers read).
 * Only the parts of Swagger that `swaggerDocument` produces are known; anything else is a bug
 * and throws a TypeError. Pure.
 */
export function encodeSwaggerDocument(doc: SwaggerDocument): Uint8Array {
  const info = doc.info as Json;
  return concat([
    str(1, doc.swagger as string),
    message(2, [str(1, info.title as string), str(2, info.version as string)]),
    message(8, named(2, doc.paths, pathItem)),
    message(9, named(1, doc.definitions, schema)),
    ...(doc.security as Json[]).map((req) =>
      message(
        12,
        named(1, req, (scopes) => [strs(1, scopes as string[])]),
      ),
    ),
    message(13, named(1, doc.securityDefinitions, apiKeySecurity)),
  ]);
}

/** `Named…` pairs (name = 1, value = 2) of an object's entries, each under `field`. */
function named(field: number, map: unknown, encode: (value: unknown) => Chunk[]): Chunk[] {
  return Object.entries((map ?? {}) as Json).map(([name, value]) =>
    message(field, [str(1, name), message(2, encode(value))]),
  );
}

/** The `x-` keys of an object as `NamedAny` (name, Any{yaml = 2}) under `field`. */
function extensions(field: number, o: Json): Chunk[] {
  return Object.entries(o)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, value]) => message(field, [str(1, name), message(2, [str(2, JSON.stringify(value))])]));
}

function checkKeys(o: Json, known: readonly string[], what: string): void {
  for (const k of Object.keys(o)) {
    if (!k.startsWith('x-') && !known.includes(k))
      throw new TypeError(`${what} field "${k}" has no encoding`);
  }
}

const SCHEMA_KEYS = [
  '$ref',
  'format',
  'description',
  'required',
  'additionalProperties',
  'type',
  'items',
  'properties',
];

function schema(value: unknown): Chunk[] {
  const s = value as Json;
  checkKeys(s, SCHEMA_KEYS, 'schema');
  const parts: Chunk[] = [
    str(1, s.$ref as string | undefined),
    str(2, s.format as string | undefined),
    str(4, s.description as string | undefined),
    strs(19, s.required as string[] | undefined),
  ];
  if (s.additionalProperties !== undefined)
    parts.push(message(21, [message(1, schema(s.additionalProperties))]));
  if (s.type !== undefined) parts.push(message(22, [strs(1, [s.type as string])]));
  if (s.items !== undefined) parts.push(message(23, [message(1, schema(s.items))]));
  if (s.properties !== undefined) parts.push(message(25, named(1, s.properties, schema)));
  parts.push(...extensions(31, s));
  return parts;
}

const OPERATIONS: ReadonlyArray<[string, number]> = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['patch', 8],
];

function pathItem(value: unknown): Chunk[] {
  const p = value as Json;
  checkKeys(p, [...OPERATIONS.map(([k]) => k), 'parameters'], 'path item');
  const parts: Chunk[] = [];
  for (const [verb, field] of OPERATIONS) {
    if (p[verb] !== undefined) parts.push(message(field, operation(p[verb] as Json)));
  }
  for (const param of (p.parameters ?? []) as Json[]) parts.push(message(9, parametersItem(param)));
  return parts;
}

function operation(o: Json): Chunk[] {
  checkKeys(
    o,
    ['tags', 'description', 'operationId', 'produces', 'consumes', 'parameters', 'responses', 'schemes'],
    'operation',
  );
  return [
    strs(1, o.tags as string[] | undefined),
    str(3, o.description as string | undefined),
    str(5, o.operationId as string | undefined),
    strs(6, o.produces as string[] | undefined),
    strs(7, o.consumes as string[] | undefined),
    ...((o.parameters ?? []) as Json[]).map((param) => message(8, parametersItem(param))),
    message(9, named(1, o.responses, response)),
    strs(10, o.schemes as string[] | undefined),
    ...extensions(13, o),
  ];
}

/** ResponseValue{response = 1: Response{description = 1, schema = 2: SchemaItem{schema = 1}}}. */
function response(value: unknown): Chunk[] {
  const r = value as Json;
  checkKeys(r, ['description', 'schema'], 'response');
  const parts = [str(1, r.description as string)];
  if (r.schema !== undefined) parts.push(message(2, [message(1, schema(r.schema))]));
  return [message(1, parts)];
}

/**
 * ParametersItem{parameter = 1: Parameter{body_parameter = 1 | non_body_parameter = 2}}; a
 * non-body parameter is NonBodyParameter{query = 3 | path = 4}, whose sub-schemas number their
 * fields differently (a query parameter has allow_empty_value at 5).
 */
function parametersItem(p: Json): Chunk[] {
  checkKeys(p, ['name', 'in', 'required', 'schema', 'type', 'uniqueItems', 'description'], 'parameter');
  const common = [
    bool(1, p.required as boolean | undefined),
    str(2, p.in as string),
    str(3, p.description as string | undefined),
    str(4, p.name as string),
  ];
  let parameter: Chunk;
  if (p.in === 'body') {
    parameter = message(1, [
      str(1, p.description as string | undefined),
      str(2, p.name as string),
      str(3, 'body'),
      bool(4, p.required as boolean | undefined),
      message(5, schema(p.schema)),
    ]);
  } else if (p.in === 'query') {
    parameter = message(2, [
      message(3, [...common, str(6, p.type as string), bool(20, p.uniqueItems as boolean | undefined)]),
    ]);
  } else if (p.in === 'path') {
    parameter = message(2, [
      message(4, [...common, str(5, p.type as string), bool(19, p.uniqueItems as boolean | undefined)]),
    ]);
  } else {
    throw new TypeError(`parameter location "${String(p.in)}" has no encoding`);
  }
  return [message(1, [parameter])];
}

/** SecurityDefinitionsItem{api_key_security = 2: ApiKeySecurity{type, name, in, description}}. */
function apiKeySecurity(value: unknown): Chunk[] {
  const s = value as Json;
  checkKeys(s, ['type', 'name', 'in', 'description'], 'security definition');
  return [
    message(2, [
      str(1, s.type as string),
      str(2, s.name as string),
      str(3, s.in as string),
      str(4, s.description as string | undefined),
    ]),
  ];
}
