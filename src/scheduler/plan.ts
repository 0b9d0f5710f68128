import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import type { Placement } from './schedule.js';

/** A pod a manifest would create, and the object it comes from (`deployment/web`, 2 of 3). */
export interface PlannedPod {
  pod: Pod;
  /** `deployment/web`, `replicaset/web`, `pod/db`. */
  owner: string;
  /** 1-based ordinal among the owner's replicas. */
  ordinal: number;
  replicas: number;
}

const WORKLOADS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController']);

/**
 * The pods that applying these objects would create, as the scheduler would see them: a Pod as
 * itself, a Deployment/ReplicaSet/StatefulSet as `spec.replicas` copies of its template (named
 * `<name>-<n>` for display). Other kinds create no pods and are skipped. Pure.
 */
export function expandWorkloads(objects: KubeObject[], options: { namespace?: string } = {}): PlannedPod[] {
  const out: PlannedPod[] = [];
  for (const object of objects) {
    const namespace = object.metadata.namespace ?? options.namespace ?? 'default';
    const name = object.metadata.name ?? object.metadata.generateName ?? 'unnamed';
    if (object.kind === 'Pod' && (object.apiVersion ?? 'v1') === 'v1') {
      const pod = structuredClone(object) as Pod;
      pod.metadata = { ...pod.metadata, namespace };
      if (pod.spec?.nodeName) continue; // already placed by its author
      out.push({ pod, owner: `pod/${name}`, ordinal: 1, replicas: 1 });
      continue;
    }
    if (!WORKLOADS.has(object.kind ?? '')) continue;
    const spec = object['spec'] as { replicas?: number; template?: PodTemplateSpec } | undefined;
    const replicas = spec?.replicas ?? 1;
    const template = spec?.template ?? {};
    for (let i = 1; i <= replicas; i++) {
      out.push({
        pod: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${name}-${i}`, namespace, labels: { ...template.metadata?.labels } },
          spec: structuredClone(template.spec ?? { containers: [] }),
        },
        owner: `${(object.kind ?? '').toLowerCase()}/${name}`,
        ordinal: i,
        replicas,
      });
    }
  }
  return out;
}

/**
 * The text `stratus plan` prints: per pod the node it would land on with its score and the
 * runners-up, or the FailedScheduling message and each node's reason; then a summary line.
 * Pure; `placements` are in the order of `planned`.
 */
export function formatPlan(
  planned: PlannedPod[],
  placements: Placement[],
  options: { nodeCount: number },
): string {
  const lines: string[] = [];
  let placed = 0;
  const nodes = new Set<string>();
  placements.forEach((p, i) => {
    const entry = planned[i]!;
    const ns = entry.pod.metadata?.namespace ?? 'default';
    const name = entry.pod.metadata?.name ?? '';
    const from = entry.replicas > 1 ? `${entry.owner}, ${entry.ordinal} of ${entry.replicas}` : entry.owner;
    if (p.node !== undefined) {
      placed++;
      nodes.add(p.node);
      const best = p.scores[0];
      lines.push(`+ pod ${ns}/${name} (${from}) -> node ${p.node} (score ${(best?.score ?? 0).toFixed(1)})`);
      const others = p.scores.slice(1, 4).map((s) => `${s.node} ${s.score.toFixed(1)}`);
      if (others.length > 0) {
        const more = p.scores.length > 4 ? `, … ${p.scores.length - 4} more` : '';
        lines.push(`    also feasible: ${others.join(', ')}${more}`);
      }
    } else {
      lines.push(`! pod ${ns}/${name} (${from}) cannot be placed: ${p.message ?? ''}`);
      for (const [node, reason] of Object.entries(p.rejections).sort(([a], [b]) => (a < b ? -1 : 1))) {
        lines.push(`    ${node}: ${reason}`);
      }
    }
  });
  const failed = placements.length - placed;
  lines.push('');
  lines.push(
    `Plan: ${placed} of ${placements.length} pod(s) placed on ${nodes.size} of ${options.nodeCount} node(s)` +
      (failed > 0 ? `, ${failed} unschedulable` : '') +
      '. Nothing was changed.',
  );
  return lines.join('\n') + '\n';
}
