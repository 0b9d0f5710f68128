import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../common/kube-object.js';
import type { UserInfo } from '../identity/index.js';
import type { ResourceType } from '../resources/index.js';
import type { WriteOptions } from './api-context.js';
import type { AuditTrace } from './audit-event.js';
import { badRequest } from './errors.js';
import { storedJson } from '../store/index.js';
import { sendJson, sendJsonText, wantsPartialMetadata, wantsTable } from './http-io.js';
import { buildTable, parseIncludeObject, partialObjectMetadata, TABLE_CONTENT_TYPE } from './table.js';

/** One request for a resource path, resolved against the registry. */
export interface ResourceRequest {
  /** Who the request acts as (after impersonation). */
  user: UserInfo;
  req: IncomingMessage;
  res: ServerResponse;
  type: ResourceType;
  /** The namespace of the path, '' when none (cluster-scoped kinds, lists across namespaces). */
  namespace: string;
  name: string | undefined;
  subresource: string | undefined;
  query: URLSearchParams;
  /** The time of the request, for AGE cells. */
  now: number;
  /** What the audit log notes about the request (a create's object name). */
  trace?: AuditTrace;
}

const FIELD_VALIDATION = new Set(['Strict', 'Warn', 'Ignore']);

/**
 * Reads `dryRun`, `fieldValidation` and `fieldManager` from the query. Kubernetes' defaults:
 * no dry run, `Warn`, and a manager named after the client's User-Agent program.
 */
export function writeOptions(r: ResourceRequest): WriteOptions {
  const dryRunValues = r.query.getAll('dryRun');
  for (const v of dryRunValues) {
    if (v !== 'All') throw badRequest(`Invalid dryRun value "${v}": supported values: "All"`);
  }
  const fv = r.query.get('fieldValidation') ?? 'Warn';
  if (!FIELD_VALIDATION.has(fv)) {
    throw badRequest(`Invalid fieldValidation value "${fv}": supported values: "Ignore", "Warn", "Strict"`);
  }
  let manager = r.query.get('fieldManager') ?? '';
  if (manager === '') {
    const ua = r.req.headers['user-agent'] ?? 'unknown';
    manager = ua.split('/')[0] ?? 'unknown';
  }
  if (manager.length > 128) throw badRequest('fieldManager: Too long: may not be more than 128 bytes');
  return {
    dryRun: dryRunValues.length > 0,
    fieldValidation: fv as WriteOptions['fieldValidation'],
    fieldManager: manager,
    warnings: [],
    user: r.user,
    requestName: r.name ?? '',
  };
}

/**
 * Replies with one object in the form the client asked for: the object, a one-row Table, or
 * its PartialObjectMetadata.
 */
export function sendObject(
  r: ResourceRequest,
  status: number,
  object: KubeObject,
  warnings?: readonly string[],
): void {
  const accept = r.req.headers.accept;
  if (wantsTable(accept)) {
    const table = buildTable(r.type, [object], {
      now: r.now,
      includeObject: parseIncludeObject(r.query.get('includeObject')),
      ...(object.metadata.resourceVersion !== undefined
        ? { resourceVersion: object.metadata.resourceVersion }
        : {}),
    });
    sendJson(r.res, status, table, TABLE_CONTENT_TYPE, warnings);
  } else if (wantsPartialMetadata(accept)) {
    sendJson(
      r.res,
      status,
      partialObjectMetadata(object),
      'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io',
      warnings,
    );
  } else {
    sendJson(r.res, status, object, 'application/json', warnings);
  }
}

/**
 * Replies with an object just as the store returned it (a write's result), as `sendObject`
 * does; in plain JSON form that is the text the store made, sent without serializing again.
 */
export function sendStored(
  r: ResourceRequest,
  status: number,
  object: KubeObject,
  warnings?: readonly string[],
): void {
  const json = storedJson(object);
  const accept = r.req.headers.accept;
  if (json === undefined || wantsTable(accept) || wantsPartialMetadata(accept))
    sendObject(r, status, object, warnings);
  else sendJsonText(r.res, status, json, 'application/json', warnings);
}
