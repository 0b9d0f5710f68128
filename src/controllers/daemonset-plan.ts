import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, PodTemplateSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { findUntoleratedTaint, matchNodeSelectorAndAffinity } from '../machinery/index.js';
import { intOrPercent } from './deployment-rollout.js';
import { canonicalJson } from './json-equal.js';
import { compareForDeletion, isPodActive, isPodAvailable, isPodReady } from './pod-state.js';

/**
 * The decisions of the DaemonSet controller, as kube-controller-manager makes them, with no
 * I/O: which nodes should run a daemon pod (nodeSelector, required node affinity, taints with
 * the tolerations the controller adds), which pods to create and delete — including a
 * RollingUpdate bounded by maxUnavailable — and the status that results.
 */

/** The label that carries the template hash on daemon pods. */
export const REVISION_HASH_LABEL = 'controller-revision-hash';

/** Tolerations every daemon pod gets, as the DaemonSet controller adds them. */
export const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** FNV-1a of the template's canonical JSON, in base 36: stable across processes. */
export function templateHash(template: PodTemplateSpec | undefined): string {
  const text = canonicalJson(template ?? {});
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/**
 * Whether a daemon pod of this template should run on the node: nodeSelector and required
 * node affinity match, and every NoSchedule/NoExecute taint is tolerated by the template's
 * tolerations plus DAEMON_TOLERATIONS.
 */
export function nodeShouldRunDaemonPod(node: Node, template: PodTemplateSpec | undefined): boolean {
  return daemonPodFits(node, template, ['NoSchedule', 'NoExecute']);
}

/**
 * Whether a daemon pod already on the node may stay: as nodeShouldRunDaemonPod, but only
 * NoExecute taints count, as in Kubernetes. A node that goes NotReady or unreachable gets
 * NoSchedule taints its daemon pods do not tolerate; they keep running there all the same.
 */
export function nodeShouldKeepDaemonPod(node: Node, template: PodTemplateSpec | undefined): boolean {
  return daemonPodFits(node, template, ['NoExecute']);
}

function daemonPodFits(node: Node, template: PodTemplateSpec | undefined, effects: string[]): boolean {
  const spec = template?.spec;
  if (!matchNodeSelectorAndAffinity(spec, node)) return false;
  const tolerations = [...(spec?.tolerations ?? []), ...DAEMON_TOLERATIONS];
  return (
    findUntoleratedTaint(node.spec?.taints, tolerations, (t) => effects.includes(t.effect)) === undefined
  );
}

/** What the DaemonSet controller should do now. */
export interface DaemonSetPlan {
  /** Nodes that need a daemon pod created. */
  createOn: string[];
  /** Pods to delete: on nodes that should not run one, duplicates, failed, or old during a rollout. */
  delete: string[];
  status: DaemonSetStatus;
}

/**
 * Plans one reconcile of a DaemonSet from the nodes and the pods it owns. Under RollingUpdate,
 * old pods go first when already unavailable, then available ones while fewer than
 * maxUnavailable (default 1; a percentage of desiredNumberScheduled, rounded up as
 * Kubernetes does for DaemonSets) nodes are without an available daemon pod.
 */
export function planDaemonSet(
  ds: DaemonSet,
  observed: { nodes: Node[]; pods: Pod[]; now: number },
): DaemonSetPlan {
  const { nodes, pods, now } = observed;
  const template = ds.spec?.template;
  const hash = templateHash(template);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const byNode = new Map<string, Pod[]>();
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    const n = p.spec?.nodeName ?? '';
    byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  const createOn: string[] = [];
  const del: string[] = [];
  const eligible = new Set<string>();
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  const old: Pod[] = [];
  let unavailableNodes = 0;
  for (const node of nodes) {
    const name = node.metadata?.name ?? '';
    const nodePods = byNode.get(name) ?? [];
    if (!nodeShouldRunDaemonPod(node, template)) {
      if (nodePods.length > 0) misscheduled++;
      if (!nodeShouldKeepDaemonPod(node, template)) del.push(...nodePods.map((p) => p.metadata?.name ?? ''));
      continue;
    }
    eligible.add(name);
    desired++;
    const failed = nodePods.filter((p) => p.status?.phase === 'Failed');
    del.push(...failed.map((p) => p.metadata?.name ?? ''));
    const live = nodePods.filter(isPodActive).sort((a, b) => -compareForDeletion(a, b));
    if (live.length === 0) {
      createOn.push(name);
      unavailableNodes++;
      continue;
    }
    current++;
    // Keep the best pod (updated first), delete the rest.
    live.sort((a, b) => Number(podHash(b) === hash) - Number(podHash(a) === hash));
    const [keep, ...extra] = live as [Pod, ...Pod[]];
    del.push(...extra.map((p) => p.metadata?.name ?? ''));
    const isAvailable = isPodAvailable(keep, minReady, now);
    if (isPodReady(keep)) ready++;
    if (isAvailable) available++;
    else unavailableNodes++;
    if (podHash(keep) === hash) updated++;
    else old.push(keep);
  }
  for (const [nodeName, nodePods] of byNode) {
    if (nodeName && !eligible.has(nodeName) && !nodes.some((n) => n.metadata?.name === nodeName)) {
      del.push(...nodePods.map((p) => p.metadata?.name ?? '')); // the node is gone
    }
  }
  if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    const ru = ds.spec?.updateStrategy?.rollingUpdate;
    const maxUnavailable = Math.max(intOrPercent(ru?.maxUnavailable ?? 1, desired, true), 1);
    let budget = maxUnavailable - unavailableNodes;
    const oldSorted = [...old].sort(
      (a, b) => Number(isPodAvailable(a, minReady, now)) - Number(isPodAvailable(b, minReady, now)),
    );
    for (const p of oldSorted) {
      if (!isPodAvailable(p, minReady, now)) del.push(p.metadata?.name ?? '');
      else if (budget > 0) {
        del.push(p.metadata?.name ?? '');
        budget--;
      }
    }
  }
  const status: DaemonSetStatus = {
    currentNumberScheduled: current,
    desiredNumberScheduled: desired,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    numberUnavailable: Math.max(desired - available, 0),
    updatedNumberScheduled: updated,
    observedGeneration: ds.metadata?.generation ?? 0,
  };
  if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
  return { createOn, delete: [...new Set(del)], status };
}

function podHash(p: Pod): string | undefined {
  return p.metadata?.labels?.[REVISION_HASH_LABEL];
}

/**
 * The pod a DaemonSet runs on a node: the template with the revision-hash label, the
 * controller's tolerations, an owner reference, and `spec.nodeName` set directly (the
 * controller places its own pods; the node affinity on `metadata.name` is added as well, as
 * Kubernetes does, so that the pod describes where it belongs).
 */
export function daemonPod(ds: DaemonSet, nodeName: string): Pod {
  const template = structuredClone(ds.spec?.template ?? {});
  const meta = ds.metadata ?? {};
  const spec = template.spec ?? { containers: [] };
  const tolerations = [...(spec.tolerations ?? [])];
  for (const t of DAEMON_TOLERATIONS) {
    if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${meta.name ?? 'daemon'}-`,
      namespace: meta.namespace ?? 'default',
      labels: { ...template.metadata?.labels, [REVISION_HASH_LABEL]: templateHash(ds.spec?.template) },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          name: meta.name ?? '',
          uid: meta.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...spec,
      nodeName,
      tolerations,
      affinity: {
        ...spec.affinity,
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] },
            ],
          },
        },
      },
    },
  };
}
