import type { PolicyRule } from './authorizer.js';

const r = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
});
const READ = ['get', 'list', 'watch'];

/**
 * What every node may do beyond what the Node authorizer decides object by object: Kubernetes'
 * `NodeRules()` (the `system:node` ClusterRole), for the resources Stratus serves, plus
 * `nodecredentialrequests` (a node renews its own credential; the handler checks the name) and
 * EndpointSlices for the agent's service proxy (kube-proxy's `system:node-proxier`).
 * The Node authorizer narrows secrets, configmaps, pods, nodes, leases, persistent volume
 * claims and service account tokens to the node's own objects; NodeRestriction admission
 * narrows the writes these rules allow. Pure data.
 */
export const NODE_RULES: readonly PolicyRule[] = [
  r(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  r(['create'], ['authorization.k8s.io'], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  r(READ, [''], ['services']),
  // The agent's service proxy watches EndpointSlices, as kube-proxy's system:node-proxier.
  r(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
  r(['create', 'get', 'list', 'watch'], [''], ['nodes']),
  r(['update', 'patch'], [''], ['nodes/status']),
  r(['update', 'patch'], [''], ['nodes']),
  r(['create', 'update', 'patch'], ['', 'events.k8s.io'], ['events']),
  r(READ, [''], ['pods']),
  r(['create', 'delete'], [''], ['pods']),
  r(['update', 'patch'], [''], ['pods/status']),
  r(['create'], [''], ['pods/eviction']),
  r(READ, [''], ['secrets', 'configmaps']),
  r(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
  r(['get'], [''], ['endpoints']),
  r(['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
  r(['create'], [''], ['serviceaccounts/token']),
  r(['get', 'update', 'patch'], [''], ['persistentvolumeclaims/status']),
  r(READ, ['node.k8s.io'], ['runtimeclasses']),
  r(['create'], ['iam.stratus.dev'], ['nodecredentialrequests']),
];
