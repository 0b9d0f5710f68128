import type { KubeObject } from '../common/kube-object.js';
import type { Store } from '../store/index.js';
import { forbiddenWrite, type Admission, type WriteAttributes } from './admission.js';
import { IdentityError } from './errors.js';
import { agentSecretName, NODE_LEASE_NAMESPACE } from './node-authorizer.js';
import { nodeIdentity } from './node-identity.js';

/** The label keys a kubelet may set on its Node (Kubernetes' `kubeletapis.IsKubeletLabel`). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);

const labelNamespace = (key: string): string => (key.includes('/') ? (key.split('/')[0] ?? '') : '');
const within = (ns: string, domain: string): boolean => ns === domain || ns.endsWith(`.${domain}`);

/** Labels a node may not add, change or remove on its own Node, as NodeRestriction's getForbiddenLabels. */
function forbiddenLabels(now: Record<string, string>, before: Record<string, string>): string[] {
  const modified = new Set<string>();
  for (const [k, v] of Object.entries(now)) if (before[k] !== v) modified.add(k);
  for (const [k, v] of Object.entries(before)) if (now[k] !== v) modified.add(k);
  return [...modified]
    .filter((key) => {
      const ns = labelNamespace(key);
      if (within(ns, 'node-restriction.kubernetes.io')) return true;
      const kubernetes = within(ns, 'kubernetes.io') || within(ns, 'k8s.io');
      const kubelet =
        KUBELET_LABELS.has(key) || within(ns, 'kubelet.kubernetes.io') || within(ns, 'node.kubernetes.io');
      return kubernetes && !kubelet;
    })
    .sort();
}

const labelsOf = (o: KubeObject | undefined): Record<string, string> => o?.metadata.labels ?? {};
const nodeNameOf = (o: KubeObject | undefined): string =>
  (o?.spec as { nodeName?: string } | undefined)?.nodeName ?? '';

/**
 * Kubernetes' NodeRestriction admission: a node credential may write only what concerns its own
 * node. It creates and changes only its own Node (never its taints, nor labels outside the
 * kubelet's set, nor any `node-restriction.kubernetes.io/` label) and its own Lease; updates the
 * status of, and deletes, only pods bound to it, without touching their labels; creates no pods
 * (Stratus has no mirror pods); asks for ServiceAccount tokens only bound to a pod of its own;
 * and writes only its own log-endpoint Secret. Messages are Kubernetes'.
 */
export class NodeRestriction implements Admission {
  constructor(private readonly store: Pick<Store, 'get'>) {}

  async admit(w: WriteAttributes): Promise<void> {
    const node = w.user === undefined ? undefined : nodeIdentity(w.user);
    if (node === undefined) return;
    if (node === '')
      throw forbiddenWrite(w, `could not determine node from user ${JSON.stringify(w.user?.username ?? '')}`);
    const resource = `${w.apiGroup}/${w.resource}`;
    if (resource === '/pods') return this.pod(node, w);
    if (resource === '/nodes') return admitNode(node, w);
    if (resource === '/serviceaccounts' && w.subresource === 'token') return this.token(node, w);
    if (resource === 'coordination.k8s.io/leases') return admitLease(node, w);
    if (resource === '/secrets' && w.operation === 'create' && w.namespace === NODE_LEASE_NAMESPACE) {
      if (w.object.metadata.name !== agentSecretName(node))
        throw forbiddenWrite(w, `node "${node}" can only create its own Secret ${agentSecretName(node)}`);
    }
    if (resource === '/persistentvolumeclaims' && w.subresource !== 'status')
      throw forbiddenWrite(w, 'may only update PVC status');
  }

  private pod(node: string, w: WriteAttributes): void {
    if (w.subresource === 'status') {
      if (w.operation !== 'update')
        throw forbiddenWrite(w, `unexpected operation "${w.operation.toUpperCase()}"`);
      if (nodeNameOf(w.old) !== node)
        throw forbiddenWrite(
          w,
          `node "${node}" can only update pod status for pods with spec.nodeName set to itself`,
        );
      if (JSON.stringify(labelsOf(w.old)) !== JSON.stringify(labelsOf(w.object)))
        throw forbiddenWrite(w, `node "${node}" cannot update labels through pod status`);
      return;
    }
    if (w.subresource !== '')
      throw forbiddenWrite(
        w,
        `unexpected pod subresource "${w.subresource}", only 'status' and 'eviction' are allowed`,
      );
    if (w.operation === 'delete') {
      if (nodeNameOf(w.object) !== node)
        throw forbiddenWrite(w, `node "${node}" can only delete pods with spec.nodeName set to itself`);
      return;
    }
    if (w.operation === 'create')
      throw forbiddenWrite(
        w,
        `pod does not have "kubernetes.io/config.mirror" annotation, node "${node}" can only create mirror pods`,
      );
    throw forbiddenWrite(
      w,
      `unexpected operation "${w.operation.toUpperCase()}", node "${node}" can only create and delete mirror pods`,
    );
  }

  private async token(node: string, w: WriteAttributes): Promise<void> {
    if (w.operation !== 'create') return;
    const ref = (w.object.spec as { boundObjectRef?: Record<string, string> } | undefined)?.boundObjectRef;
    if (ref === undefined || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || (ref.name ?? '') === '')
      throw forbiddenWrite(w, 'node requested token not bound to a pod');
    if ((ref.uid ?? '') === '')
      throw forbiddenWrite(w, 'node requested token with a pod binding without a uid');
    const pod = await this.store.get('pods', w.namespace, ref.name ?? '');
    if (pod === undefined)
      throw new IdentityError('IDENTITY_NOT_FOUND', 404, `pods "${ref.name ?? ''}" not found`);
    if (pod.metadata.uid !== ref.uid)
      throw forbiddenWrite(
        w,
        `the UID in the bound object reference (${ref.uid ?? ''}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    if (nodeNameOf(pod) !== node)
      throw forbiddenWrite(w, 'node requested token bound to a pod scheduled on a different node');
  }
}

function admitNode(node: string, w: WriteAttributes): void {
  const name = w.requestName !== '' ? w.requestName : (w.object.metadata.name ?? '');
  if (name !== node) throw forbiddenWrite(w, `node "${node}" is not allowed to modify node "${name}"`);
  if (w.operation === 'create') {
    const bad = forbiddenLabels(labelsOf(w.object), {});
    if (bad.length > 0)
      throw forbiddenWrite(w, `node "${node}" is not allowed to set the following labels: ${bad.join(', ')}`);
    return;
  }
  if (w.operation !== 'update') return;
  const taints = (o: KubeObject | undefined): string =>
    JSON.stringify((o?.spec as { taints?: unknown } | undefined)?.taints ?? []);
  if (taints(w.object) !== taints(w.old))
    throw forbiddenWrite(w, `node "${node}" is not allowed to modify taints`);
  const bad = forbiddenLabels(labelsOf(w.object), labelsOf(w.old));
  if (bad.length > 0) throw forbiddenWrite(w, `is not allowed to modify labels: ${bad.join(', ')}`);
}

function admitLease(node: string, w: WriteAttributes): void {
  if (w.namespace !== NODE_LEASE_NAMESPACE)
    throw forbiddenWrite(w, `can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
  const name = w.operation === 'create' ? (w.object.metadata.name ?? '') : w.requestName;
  if (name !== node)
    throw forbiddenWrite(w, 'can only access node lease with the same name as the requesting node');
}
