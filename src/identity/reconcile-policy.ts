import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';
import { hasCode } from '../common/stratus-error.js';
import type { Store } from '../store/index.js';
import type { PolicyRule } from './authorizer.js';
import {
  AUTOUPDATE_ANNOTATION,
  BOOTSTRAP_CLUSTER_ROLE_BINDINGS,
  BOOTSTRAP_CLUSTER_ROLES,
  BOOTSTRAP_ROLE_BINDINGS,
  BOOTSTRAP_ROLES,
  RETIRED_BOOTSTRAP_POLICY,
} from './bootstrap-policy.js';
import { RBAC_RESOURCES } from './rbac-policy.js';
import { uncoveredRules } from './rbac-rules.js';

/** Swallows the errors of losing a race with another writer; rethrows anything else. */
function ignoreRace(err: unknown): undefined {
  if (hasCode(err, 'STORE_CONFLICT') || hasCode(err, 'STORE_NOT_FOUND')) return undefined;
  throw err;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * What reconciliation makes of an existing role: the missing rules, aggregation selectors,
 * labels and annotations added, nothing taken away (Kubernetes' non-tightening reconcile).
 * Undefined when nothing changes. Pure.
 */
export function reconcileRole(existing: KubeObject, wanted: KubeObject): KubeObject | undefined {
  const out: KubeObject = structuredClone(existing);
  out.metadata.labels = { ...wanted.metadata.labels, ...existing.metadata.labels };
  out.metadata.annotations = { ...wanted.metadata.annotations, ...existing.metadata.annotations };
  const wantedAgg = wanted.aggregationRule as { clusterRoleSelectors: unknown[] } | undefined;
  if (wantedAgg !== undefined) {
    const selectors = [
      ...((existing.aggregationRule as typeof wantedAgg | undefined)?.clusterRoleSelectors ?? []),
    ];
    for (const s of wantedAgg.clusterRoleSelectors) if (!selectors.some((x) => same(x, s))) selectors.push(s);
    out.aggregationRule = { clusterRoleSelectors: selectors };
  } else {
    const have = (existing.rules ?? []) as PolicyRule[];
    const missing = ((wanted.rules ?? []) as PolicyRule[]).filter(
      (rule) => uncoveredRules(have, [rule]).length > 0,
    );
    out.rules = [...have, ...missing];
  }
  return same(out, existing) ? undefined : out;
}

/** An existing binding with the wanted subjects added; undefined when nothing changes. Pure. */
export function reconcileBinding(existing: KubeObject, wanted: KubeObject): KubeObject | undefined {
  const out: KubeObject = structuredClone(existing);
  out.metadata.labels = { ...wanted.metadata.labels, ...existing.metadata.labels };
  out.metadata.annotations = { ...wanted.metadata.annotations, ...existing.metadata.annotations };
  const subjects = [...((existing.subjects ?? []) as unknown[])];
  for (const s of (wanted.subjects ?? []) as unknown[])
    if (!subjects.some((x) => same(x, s))) subjects.push(s);
  out.subjects = subjects;
  return same(out, existing) ? undefined : out;
}

/**
 * Reconciles the default roles and bindings at server start, as kube-apiserver's RBAC
 * bootstrap does: missing ones are created; existing ones whose
 * `rbac.authorization.kubernetes.io/autoupdate` annotation is not "false" get what is missing
 * added (rules, aggregation selectors, subjects, labels, annotations); a binding whose roleRef
 * differs is recreated. Safe to run on every start and from several servers at once.
 */
export async function reconcileBootstrapPolicy(store: Store, options: { clock?: Clock } = {}): Promise<void> {
  const now = new Date((options.clock ?? systemClock).now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  // First, so that a retired rule that covered a narrower wanted one does not hide it.
  await retire(store);
  const sets: Array<[string, readonly KubeObject[], boolean]> = [
    [RBAC_RESOURCES.clusterRoles, BOOTSTRAP_CLUSTER_ROLES, false],
    [RBAC_RESOURCES.roles, BOOTSTRAP_ROLES, false],
    [RBAC_RESOURCES.clusterRoleBindings, BOOTSTRAP_CLUSTER_ROLE_BINDINGS, true],
    [RBAC_RESOURCES.roleBindings, BOOTSTRAP_ROLE_BINDINGS, true],
  ];
  for (const [resource, objects, isBinding] of sets) {
    for (const wanted of objects) {
      const ns = wanted.metadata.namespace ?? '';
      const name = wanted.metadata.name ?? '';
      const create = (): Promise<unknown> =>
        store
          .create(resource, {
            ...wanted,
            metadata: { ...wanted.metadata, uid: randomUUID(), creationTimestamp: now },
          })
          .catch((err: unknown) => {
            if (!hasCode(err, 'STORE_ALREADY_EXISTS')) throw err;
          });
      const existing = await store.get(resource, ns, name);
      if (existing === undefined) {
        await create();
        continue;
      }
      if (existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') continue;
      if (isBinding && !same(existing.roleRef, wanted.roleRef)) {
        await store
          .delete(resource, ns, name, { expectedResourceVersion: existing.metadata.resourceVersion ?? '' })
          .catch(ignoreRace);
        await create();
        continue;
      }
      const updated = isBinding ? reconcileBinding(existing, wanted) : reconcileRole(existing, wanted);
      // A conflict means another server (or the aggregation controller) wrote it meanwhile; the
      // next start reconciles again, as kube-apiserver's post-start hook retries.
      if (updated !== undefined) await store.update(resource, updated).catch(ignoreRace);
    }
  }
}

/** Takes out what earlier versions bootstrapped and no longer should (RETIRED_BOOTSTRAP_POLICY). */
async function retire(store: Store): Promise<void> {
  for (const { binding, subject } of RETIRED_BOOTSTRAP_POLICY.subjects) {
    const existing = await store.get(RBAC_RESOURCES.clusterRoleBindings, '', binding);
    const subjects = (existing?.subjects ?? []) as unknown[];
    if (existing === undefined || !subjects.some((s) => same(s, subject))) continue;
    const kept = subjects.filter((s) => !same(s, subject));
    await store.update(RBAC_RESOURCES.clusterRoleBindings, { ...existing, subjects: kept }).catch(ignoreRace);
  }
  for (const { clusterRole, rule } of RETIRED_BOOTSTRAP_POLICY.rules) {
    const existing = await store.get(RBAC_RESOURCES.clusterRoles, '', clusterRole);
    const rules = (existing?.rules ?? []) as unknown[];
    if (existing === undefined || existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false')
      continue;
    if (!rules.some((r) => same(r, rule))) continue;
    const kept = rules.filter((r) => !same(r, rule));
    await store.update(RBAC_RESOURCES.clusterRoles, { ...existing, rules: kept }).catch(ignoreRace);
  }
  for (const { resource, namespace, name } of RETIRED_BOOTSTRAP_POLICY.objects) {
    const key = resource === 'roles' ? RBAC_RESOURCES.roles : RBAC_RESOURCES.roleBindings;
    await store.delete(key, namespace, name).catch(ignoreRace);
  }
}
