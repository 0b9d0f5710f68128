import type { Deployment, DeploymentCondition, DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';

/**
 * The arithmetic of a Deployment rollout, as kube-controller-manager does it, with no I/O:
 * how far the new ReplicaSet may grow and the old ones shrink in one step, and the status that
 * results. The Deployment controller feeds it the objects from its cache and writes back the
 * replica counts it returns.
 */

/** Resolves an int-or-percent against a total; percentages round up for surge, down otherwise. */
export function intOrPercent(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number.parseInt(value, 10) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable as pod counts; both zero would stall, so unavailable becomes 1. */
export function fenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const desired = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate;
  const maxSurge = intOrPercent(ru?.maxSurge ?? '25%', desired, true);
  let maxUnavailable = intOrPercent(ru?.maxUnavailable ?? '25%', desired, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, desired) };
}

const specReplicas = (rs: ReplicaSet): number => rs.spec?.replicas ?? 0;
const available = (rs: ReplicaSet): number => rs.status?.availableReplicas ?? 0;
const sum = (sets: ReplicaSet[], f: (rs: ReplicaSet) => number): number =>
  sets.reduce((n, rs) => n + f(rs), 0);

/** The replica count the new ReplicaSet may have now under RollingUpdate. */
export function newReplicaSetReplicas(d: Deployment, newRS: ReplicaSet, all: ReplicaSet[]): number {
  const desired = d.spec?.replicas ?? 1;
  const { maxSurge } = fenceposts(d);
  const current = sum(all, specReplicas);
  const maxTotal = desired + maxSurge;
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, desired - specReplicas(newRS));
  return Math.max(specReplicas(newRS) + scaleUp, 0);
}

/**
 * How much each old ReplicaSet may shrink now under RollingUpdate without going below
 * `replicas - maxUnavailable` available pods: unhealthy pods go first, then available ones from
 * the oldest ReplicaSet. Returns the new replica count per old ReplicaSet name.
 */
export function oldReplicaSetsReplicas(
  d: Deployment,
  newRS: ReplicaSet,
  old: ReplicaSet[],
): Map<string, number> {
  const result = new Map(old.map((rs) => [rs.metadata?.name ?? '', specReplicas(rs)]));
  const desired = d.spec?.replicas ?? 1;
  const minAvailable = desired - fenceposts(d).maxUnavailable;
  const all = [newRS, ...old];
  const newUnavailable = Math.max(specReplicas(newRS) - available(newRS), 0);
  let budget = sum(all, specReplicas) - minAvailable - newUnavailable;
  if (budget <= 0) return result;
  const byAge = [...old].sort((a, b) =>
    (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''),
  );
  // First the pods that are not available anyway: removing them costs no availability.
  for (const rs of byAge) {
    const name = rs.metadata?.name ?? '';
    const unhealthy = Math.max((result.get(name) ?? 0) - available(rs), 0);
    const cut = Math.min(unhealthy, budget);
    result.set(name, (result.get(name) ?? 0) - cut);
    budget -= cut;
  }
  // Then available pods, as far as the availability floor allows.
  let canRemove = sum(all, available) - minAvailable;
  for (const rs of byAge) {
    if (canRemove <= 0) break;
    const name = rs.metadata?.name ?? '';
    const cut = Math.min(result.get(name) ?? 0, available(rs), canRemove);
    result.set(name, (result.get(name) ?? 0) - cut);
    canRemove -= cut;
  }
  return result;
}

function condition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: string,
  previous: DeploymentCondition[] | undefined,
): DeploymentCondition {
  const prev = previous?.find((c) => c.type === type);
  const unchanged = prev?.status === status;
  return {
    type,
    status,
    reason,
    message,
    lastUpdateTime: unchanged && prev?.reason === reason ? (prev.lastUpdateTime ?? now) : now,
    lastTransitionTime: unchanged ? (prev.lastTransitionTime ?? now) : now,
  };
}

/**
 * The Deployment's status from its ReplicaSets: counts, observedGeneration and the Available
 * and Progressing conditions (with ProgressDeadlineExceeded once `progressDeadlineSeconds`
 * passes without progress).
 */
export function deploymentStatus(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  all: ReplicaSet[],
  options: { now: number },
): DeploymentStatus {
  const now = new Date(options.now).toISOString().replace(/\.\d+Z$/, 'Z');
  const desired = d.spec?.replicas ?? 1;
  const prev = d.status?.conditions;
  const availableReplicas = sum(all, available);
  const updatedReplicas = newRS?.status?.replicas ?? 0;
  const replicas = sum(all, (rs) => rs.status?.replicas ?? 0);
  const minAvailable = desired - (d.spec?.strategy?.type === 'Recreate' ? 0 : fenceposts(d).maxUnavailable);
  const availableCond =
    availableReplicas >= minAvailable
      ? condition(
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
          now,
          prev,
        )
      : condition(
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
          now,
          prev,
        );
  const rsName = newRS?.metadata?.name ?? '';
  const complete =
    updatedReplicas === desired && replicas === desired && (newRS?.status?.availableReplicas ?? 0) >= desired;
  let progressing: DeploymentCondition;
  if (d.spec?.paused) {
    progressing = condition('Progressing', 'False', 'DeploymentPaused', 'Deployment is paused', now, prev);
  } else if (complete) {
    const msg = `ReplicaSet "${rsName}" has successfully progressed.`;
    progressing = condition('Progressing', 'True', 'NewReplicaSetAvailable', msg, now, prev);
  } else {
    const last = prev?.find((c) => c.type === 'Progressing');
    const moved =
      d.status?.updatedReplicas !== updatedReplicas ||
      d.status?.availableReplicas !== availableReplicas ||
      d.status?.observedGeneration !== d.metadata?.generation;
    const since = Date.parse(last?.lastUpdateTime ?? now);
    const deadline = (d.spec?.progressDeadlineSeconds ?? 600) * 1000;
    if (!moved && last?.reason !== 'NewReplicaSetAvailable' && options.now - since > deadline) {
      const msg = `ReplicaSet "${rsName}" has timed out progressing.`;
      progressing = condition('Progressing', 'False', 'ProgressDeadlineExceeded', msg, now, prev);
    } else {
      const msg = `ReplicaSet "${rsName}" is progressing.`;
      progressing = condition('Progressing', 'True', 'ReplicaSetUpdated', msg, now, prev);
      if (!moved && last) progressing.lastUpdateTime = last.lastUpdateTime ?? now;
    }
  }
  return {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas,
    updatedReplicas,
    readyReplicas: sum(all, (rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas,
    unavailableReplicas: Math.max(desired - availableReplicas, 0),
    conditions: [availableCond, progressing],
  };
}
