import type { KubeObject } from '../common/kube-object.js';
import { alreadyExists, conflict, invalidObject, notFound } from './errors.js';
import { LOG_CREATE, LOG_DELETE, LOG_UPDATE, type Statements } from './sqlite-schema.js';
import type { Change } from './watch-filter.js';

/** One queued write of a SqliteStore batch. */
export type WriteOp =
  | { kind: 'create'; resource: string; object: KubeObject }
  | { kind: 'update'; resource: string; object: KubeObject }
  | { kind: 'delete'; resource: string; namespace: string; name: string; expected: string | undefined };

/** A change of one resource, as the store hands it to that resource's watches. */
export type ResourceChange = Change & { resource: string };

/**
 * Applies one write inside the caller's transaction and returns the change it made. Checks come
 * before any statement runs, so a write that fails with a StoreError (exists, not found,
 * conflict) leaves the database untouched and the rest of its batch can still commit.
 * `revision` is the revision the write gets if it succeeds; a failed write uses none.
 */
export function applyWrite(stmts: Statements, op: WriteOp, revision: number): ResourceChange {
  if (op.kind === 'delete') return applyDelete(stmts, op, revision);
  const { resource, object } = op;
  const meta = object.metadata as KubeObject['metadata'] | undefined;
  const name = meta?.name;
  if (typeof name !== 'string' || name === '') throw invalidObject(resource, 'metadata.name is required');
  const namespace = meta?.namespace ?? '';
  if (typeof namespace !== 'string') throw invalidObject(resource, 'metadata.namespace must be a string');
  const existing = stmts.getCurrent.get(resource, namespace, name);
  if (op.kind === 'create' && existing !== undefined) throw alreadyExists(resource, namespace, name);
  if (op.kind === 'update') {
    if (existing === undefined) throw notFound(resource, namespace, name);
    checkPrecondition(op, namespace, name, object.metadata.resourceVersion, existing.rev);
  }
  const value = serialize(resource, {
    ...object,
    metadata: { ...object.metadata, resourceVersion: String(revision) },
  });
  if (existing === undefined) {
    stmts.insertCurrent.run(resource, namespace, name, revision, value);
    stmts.insertLog.run(revision, resource, namespace, name, LOG_CREATE, value, null);
    return { resource, revision, type: 'create', namespace, name, value, prev: null };
  }
  stmts.updateCurrent.run(revision, value, resource, namespace, name);
  stmts.insertLog.run(revision, resource, namespace, name, LOG_UPDATE, value, existing.value);
  return { resource, revision, type: 'update', namespace, name, value, prev: existing.value };
}

function applyDelete(
  stmts: Statements,
  op: Extract<WriteOp, { kind: 'delete' }>,
  revision: number,
): ResourceChange {
  const { resource, namespace, name } = op;
  const existing = stmts.getCurrent.get(resource, namespace, name);
  if (existing === undefined) throw notFound(resource, namespace, name);
  checkPrecondition(op, namespace, name, op.expected, existing.rev);
  // The last state is logged as stored; readers give it the deletion's resourceVersion
  // (`changeObject`), which spares each delete a parse and a serialization here.
  stmts.deleteCurrent.run(resource, namespace, name);
  stmts.insertLog.run(revision, resource, namespace, name, LOG_DELETE, existing.value, null);
  return { resource, revision, type: 'delete', namespace, name, value: existing.value, prev: null };
}

/** An empty or absent resourceVersion is no precondition; anything else must equal the current one. */
function checkPrecondition(
  op: WriteOp,
  namespace: string,
  name: string,
  expected: string | undefined,
  current: number,
): void {
  if (expected !== undefined && expected !== '' && expected !== String(current)) {
    throw conflict(op.resource, namespace, name, expected, current);
  }
}

/** JSON text of an object; values JSON cannot hold (cycles, BigInt) fail this write only. */
function serialize(resource: string, object: KubeObject): string {
  try {
    return JSON.stringify(object);
  } catch (err) {
    throw invalidObject(
      resource,
      `the object is not JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
