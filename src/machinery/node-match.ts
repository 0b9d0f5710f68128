import type {
  Node,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodSpec,
  Taint,
  Toleration,
} from 'kubernetes-types/core/v1.js';

/**
 * The rules that decide whether a pod may go on a node, shared by the scheduler's filters and
 * the DaemonSet planner (Kubernetes keeps them in component-helpers for the same reason): node
 * selector, required node affinity, and tolerations against taints. Pure.
 */

function matchNodeRequirement(req: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

/**
 * A node selector term matches when all of its expressions do (fields: only metadata.name); an
 * empty term matches no node, as in Kubernetes.
 */
export function matchNodeSelectorTerm(term: NodeSelectorTerm, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return (
    exprs.every((r) => matchNodeRequirement(r, labels)) &&
    fields.every((r) => matchNodeRequirement(r, { 'metadata.name': node.metadata?.name ?? '' }))
  );
}

/**
 * Whether a pod with this spec may run on the node by its `nodeSelector` and its required node
 * affinity (at least one term must match; an empty list of terms matches no node).
 */
export function matchNodeSelectorAndAffinity(spec: PodSpec | undefined, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return !terms || terms.some((t) => matchNodeSelectorTerm(t, node));
}

/** True when a toleration tolerates a taint. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.operator === 'Exists') return !toleration.key || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
}

/**
 * The first of the node's taints that `include` selects and no toleration tolerates, or
 * undefined (Kubernetes' FindMatchingUntoleratedTaint).
 */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[],
  include: (taint: Taint) => boolean,
): Taint | undefined {
  return (taints ?? []).find((taint) => include(taint) && !tolerations.some((t) => tolerates(t, taint)));
}
