import { qualifiedResource, type ApiDeps } from './api-context.js';
import { getExisting } from './crud-handlers.js';
import { badRequest, conflict } from './errors.js';
import { isRecord } from './object-meta.js';
import { parseObjectBody, readBody } from './http-io.js';
import { sendJson } from './http-io.js';
import { writeOptions, type ResourceRequest } from './resource-request.js';
import { updateObject } from './write-pipeline.js';

/**
 * POST `pods/NAME/binding`: the scheduler's way to place a pod. Sets `spec.nodeName` from the
 * Binding's `target.name` once; binding a pod that is already bound is a 409, as in Kubernetes.
 * Replies with a Success Status.
 */
export async function handleBinding(deps: ApiDeps, r: ResourceRequest): Promise<void> {
  const options = writeOptions(r);
  const body = parseObjectBody(await readBody(r.req), r.req.headers['content-type'] ?? '');
  const target = isRecord(body.target) ? body.target : undefined;
  const node = typeof target?.name === 'string' ? target.name : '';
  if (node === '') throw badRequest('target.name: Required value: the Binding must name a node');
  const old = await getExisting(deps, r);
  const spec = isRecord(old.spec) ? old.spec : {};
  const name = r.name ?? '';
  if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
    throw conflict(
      qualifiedResource(r.type),
      name,
      { name, group: '', kind: 'pods' },
      `pod ${name} is already assigned to node "${spec.nodeName}"`,
    );
  }
  const candidate = { ...old, spec: { ...spec, nodeName: node } };
  await updateObject(deps, r.type, old, candidate, options, {});
  sendJson(r.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}
