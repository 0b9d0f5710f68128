import type { KubeObject } from '../common/kube-object.js';
import { type ApiDeps } from './api-context.js';
import { getExisting } from './crud-handlers.js';
import { badRequest, invalid, notFound } from './errors.js';
import { parseObjectBody, readBody, sendJson } from './http-io.js';
import { isRecord } from './object-meta.js';
import { applyPatchDocument, patchType } from './patch-handler.js';
import { writeOptions, type ResourceRequest } from './resource-request.js';
import { updateObject } from './write-pipeline.js';

/** Reads a dotted JSON path (`.spec.replicas`) of an object. */
export function getPath(object: unknown, path: string): unknown {
  let cur: unknown = object;
  for (const part of path.split('.').filter((p) => p !== '')) {
    if (!isRecord(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Sets a dotted JSON path in place, creating intermediate objects. */
export function setPath(object: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.').filter((p) => p !== '');
  let cur = object;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (isRecord(next)) cur = next;
    else cur = cur[part] = {};
  }
  const last = parts[parts.length - 1];
  if (last !== undefined) cur[last] = value;
}

/** A LabelSelector object as the selector string of a Scale's status (`app=web,tier in (a)`). */
export function selectorString(selector: unknown): string {
  if (!isRecord(selector)) return '';
  const parts: string[] = [];
  if (isRecord(selector.matchLabels)) {
    for (const [k, v] of Object.entries(selector.matchLabels)) parts.push(`${k}=${String(v)}`);
  }
  if (Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions as unknown[]) {
      if (!isRecord(e)) continue;
      const key = String(e.key);
      const values = Array.isArray(e.values) ? (e.values as unknown[]).map(String).sort().join(',') : '';
      if (e.operator === 'In') parts.push(`${key} in (${values})`);
      else if (e.operator === 'NotIn') parts.push(`${key} notin (${values})`);
      else if (e.operator === 'Exists') parts.push(key);
      else if (e.operator === 'DoesNotExist') parts.push(`!${key}`);
    }
  }
  return parts.join(',');
}

/** The `autoscaling/v1` Scale of an object with a scale subresource. */
export function toScale(
  paths: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string },
  object: KubeObject,
): Record<string, unknown> {
  const m = object.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: Number(getPath(object, paths.specReplicasPath) ?? 0) },
    status: {
      replicas: Number(getPath(object, paths.statusReplicasPath) ?? 0),
      selector: selectorString(getPath(object, paths.labelSelectorPath)),
    },
  };
}

/**
 * GET, PUT and PATCH of `…/scale`: reads and writes the replica count of a Deployment or
 * ReplicaSet through an `autoscaling/v1` Scale, as `kubectl scale` and autoscalers do.
 */
export async function handleScale(deps: ApiDeps, r: ResourceRequest, method: string): Promise<void> {
  const paths = r.type.scale;
  if (paths === undefined) throw notFound(`${r.type.plural}/scale`, r.name ?? '');
  const old = await getExisting(deps, r);
  const scale = toScale(paths, old);
  if (method === 'GET') {
    sendJson(r.res, 200, scale);
    return;
  }
  const options = writeOptions(r);
  const body = await readBody(r.req);
  let desired: unknown;
  if (method === 'PUT') desired = parseObjectBody(body, r.req.headers['content-type'] ?? '');
  else {
    const kind = patchType(r.req.headers['content-type']);
    if (kind === 'apply') throw badRequest('server-side apply of the scale subresource is not supported');
    desired = applyPatchDocument(kind, structuredClone(scale), body, undefined);
  }
  const replicas = getPath(desired, '.spec.replicas');
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', r.name ?? '', 'autoscaling', [
      {
        reason: 'FieldValueInvalid',
        field: 'spec.replicas',
        message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      },
    ]);
  }
  const candidate = structuredClone(old);
  setPath(candidate, paths.specReplicasPath, replicas);
  const rv = getPath(desired, '.metadata.resourceVersion');
  if (typeof rv === 'string' && rv !== '') candidate.metadata.resourceVersion = rv;
  const result = await updateObject(deps, r.type, old, candidate, options, { subresource: 'scale' });
  sendJson(r.res, 200, toScale(paths, result.object), 'application/json', options.warnings);
}
