import { hasCode } from '../common/stratus-error.js';
import { qualifiedResource, type ApiDeps } from './api-context.js';
import { retryOnConflict } from './conflict-retry.js';
import { getExisting } from './crud-handlers.js';
import { badRequest, conflict, notFound } from './errors.js';
import { isRecord } from './object-meta.js';
import { parseObjectBody, readBody } from './http-io.js';
import { sendJson } from './http-io.js';
import { writeOptions, type ResourceRequest } from './resource-request.js';

/**
 * POST `pods/NAME/binding`: the scheduler's way to place a pod. Sets `spec.nodeName` from the
 * Binding's `target.name` once; binding a pod that is already bound, or being deleted, is a 409,
 * as in Kubernetes. Like kube-apiserver's assignPod it writes the stored pod directly (nothing
 * else of it changes, so there is nothing to decode, default or validate again, and no
 * managedFields entry: Kubernetes' bound pods have none for the scheduler), and it retries when
 * another writer (a status update) changed the pod meanwhile. Replies with a Success Status.
 */
export async function handleBinding(deps: ApiDeps, r: ResourceRequest): Promise<void> {
  const options = writeOptions(r);
  const body = parseObjectBody(await readBody(r.req), r.req.headers['content-type'] ?? '');
  const target = isRecord(body.target) ? body.target : undefined;
  const node = typeof target?.name === 'string' ? target.name : '';
  if (node === '') throw badRequest('target.name: Required value: the Binding must name a node');
  const name = r.name ?? '';
  const details = { name, group: '', kind: 'pods' };
  const bind = async (): Promise<void> => {
    const old = await getExisting(deps, r);
    const spec = isRecord(old.spec) ? old.spec : {};
    if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
      throw conflict(
        qualifiedResource(r.type),
        name,
        details,
        `pod ${name} is already assigned to node "${spec.nodeName}"`,
      );
    }
    if (old.metadata.deletionTimestamp !== undefined) {
      throw conflict(
        qualifiedResource(r.type),
        name,
        details,
        `pod ${name} is being deleted, cannot be assigned to a host`,
      );
    }
    // The spec changed, so the generation moves as on any other update of the pod.
    const metadata = { ...old.metadata, generation: (old.metadata.generation ?? 0) + 1 };
    const bound = { ...old, metadata, spec: { ...spec, nodeName: node } };
    if (!options.dryRun) await deps.store.update(r.type.storageResource, bound);
  };
  await retryOnConflict('STORE_CONFLICT', bind).catch((err: unknown) => {
    if (hasCode(err, 'STORE_NOT_FOUND')) throw notFound(qualifiedResource(r.type), name, details);
    if (hasCode(err, 'STORE_CONFLICT')) throw conflict(qualifiedResource(r.type), name, details);
    throw err;
  });
  sendJson(r.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}
