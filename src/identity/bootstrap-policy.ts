import type { KubeObject } from '../common/kube-object.js';
import type { PolicyRule } from './authorizer.js';
import type { Subject } from './rbac-policy.js';

/**
 * The default roles and bindings every Stratus server reconciles at start, as Kubernetes'
 * bootstrap policy: `cluster-admin`, the aggregated `admin`/`edit`/`view`, `system:basic-user`,
 * `system:discovery`, `system:public-info-viewer`, and the roles of Stratus' own components
 * (controllers and scheduler, node agents, S3 gateway), written from what each actually calls.
 * Pure data.
 */

const RBAC = 'rbac.authorization.k8s.io';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const READ_WRITE = [...READ, ...WRITE];

/** Label and annotation Kubernetes puts on its bootstrap objects. */
export const BOOTSTRAP_LABEL = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';

const r = (verbs: string[], groups: string[], resources: string[], names?: string[]): PolicyRule => ({
  verbs,
  apiGroups: groups,
  resources,
  ...(names !== undefined ? { resourceNames: names } : {}),
});
const urls = (verbs: string[], paths: string[]): PolicyRule => ({ verbs, nonResourceURLs: paths });

function clusterRole(
  name: string,
  rules: PolicyRule[],
  extra: { labels?: Record<string, string>; aggregateFrom?: string } = {},
): KubeObject {
  const role: KubeObject = {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: {
      name,
      labels: { ...BOOTSTRAP_LABEL, ...extra.labels },
      annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
    },
    rules,
  };
  if (extra.aggregateFrom !== undefined) {
    role.aggregationRule = {
      clusterRoleSelectors: [{ matchLabels: { [`${RBAC}/aggregate-to-${extra.aggregateFrom}`]: 'true' } }],
    };
  }
  return role;
}

const aggregateTo = (role: string): Record<string, string> => ({ [`${RBAC}/aggregate-to-${role}`]: 'true' });

/** The ClusterRoles, in creation order. */
export const BOOTSTRAP_CLUSTER_ROLES: readonly KubeObject[] = [
  clusterRole('cluster-admin', [r(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  clusterRole('system:discovery', [
    urls(
      ['get'],
      [
        '/livez',
        '/readyz',
        '/healthz',
        '/version',
        '/version/',
        '/openapi',
        '/openapi/*',
        '/api',
        '/api/*',
        '/apis',
        '/apis/*',
      ],
    ),
  ]),
  clusterRole('system:public-info-viewer', [
    urls(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/']),
  ]),
  clusterRole('system:basic-user', [
    r(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    r(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ]),
  clusterRole('admin', [], { aggregateFrom: 'admin' }),
  clusterRole('edit', [], { aggregateFrom: 'edit', labels: aggregateTo('admin') }),
  clusterRole('view', [], { aggregateFrom: 'view', labels: aggregateTo('edit') }),
  clusterRole(
    'system:aggregate-to-admin',
    [
      r(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
      r(READ_WRITE, [RBAC], ['roles', 'rolebindings']),
    ],
    { labels: aggregateTo('admin') },
  ),
  clusterRole(
    'system:aggregate-to-edit',
    [
      r(
        READ,
        [''],
        ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy'],
      ),
      r(['impersonate'], [''], ['serviceaccounts']),
      r(WRITE, [''], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
      r(['create'], [''], ['pods/eviction']),
      r(
        WRITE,
        [''],
        [
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/proxy',
          'persistentvolumeclaims',
          'configmaps',
          'secrets',
        ],
      ),
      r(['create'], [''], ['serviceaccounts/token']),
      r(
        WRITE,
        ['apps'],
        [
          'statefulsets',
          'statefulsets/scale',
          'daemonsets',
          'deployments',
          'deployments/scale',
          'deployments/rollback',
          'replicasets',
          'replicasets/scale',
        ],
      ),
      r(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      r(WRITE, ['batch'], ['jobs', 'cronjobs']),
      r(WRITE, ['policy'], ['poddisruptionbudgets']),
      r(WRITE, ['networking.k8s.io'], ['networkpolicies', 'ingresses']),
      r(READ_WRITE, ['coordination.k8s.io'], ['leases']),
    ],
    { labels: aggregateTo('edit') },
  ),
  clusterRole(
    'system:aggregate-to-view',
    [
      r(
        READ,
        [''],
        [
          'pods',
          'replicationcontrollers',
          'replicationcontrollers/scale',
          'serviceaccounts',
          'services',
          'services/status',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'configmaps',
        ],
      ),
      r(
        READ,
        [''],
        [
          'limitranges',
          'resourcequotas',
          'bindings',
          'events',
          'pods/status',
          'resourcequotas/status',
          'namespaces/status',
          'replicationcontrollers/status',
          'pods/log',
        ],
      ),
      r(READ, [''], ['namespaces']),
      r(READ, ['discovery.k8s.io'], ['endpointslices']),
      r(
        READ,
        ['apps'],
        [
          'controllerrevisions',
          'statefulsets',
          'statefulsets/status',
          'statefulsets/scale',
          'daemonsets',
          'daemonsets/status',
          'deployments',
          'deployments/status',
          'deployments/scale',
          'replicasets',
          'replicasets/status',
          'replicasets/scale',
        ],
      ),
      r(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      r(READ, ['batch'], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
      r(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      r(READ, ['networking.k8s.io'], ['networkpolicies', 'ingresses', 'ingresses/status']),
    ],
    { labels: aggregateTo('view') },
  ),
  // Stratus' controllers and scheduler (one process, `src/controllers/` and `src/scheduler/`):
  // informers on the workload kinds, nodes and leases; pod, ReplicaSet and Job writes; status
  // writes; Events; pod bindings; the aggregation controller's ClusterRole writes.
  clusterRole('system:kube-controller-manager', [
    r(['list', 'watch'], [''], ['pods', 'nodes']),
    r(['create', 'patch', 'delete'], [''], ['pods']),
    r(['patch', 'update'], [''], ['pods/status', 'nodes', 'nodes/status']),
    r(['create'], [''], ['pods/binding', 'bindings']),
    r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    r(['list', 'watch'], ['coordination.k8s.io'], ['leases']),
    r(['list', 'watch', 'patch'], ['apps'], ['deployments', 'daemonsets']),
    r(['get', 'list', 'watch', 'create', 'patch', 'delete'], ['apps'], ['replicasets']),
    r(['patch', 'update'], ['apps'], ['deployments/status', 'replicasets/status', 'daemonsets/status']),
    r(['list', 'watch', 'create', 'delete'], ['batch'], ['jobs']),
    r(['list', 'watch', 'patch'], ['batch'], ['cronjobs']),
    r(['patch', 'update'], ['batch'], ['jobs/status', 'cronjobs/status']),
    r(['get', 'list', 'watch', 'update', 'patch'], [RBAC], ['clusterroles']),
    r(['escalate'], [RBAC], ['clusterroles']),
  ]),
  // The node agent (`src/agent/`): registers its Node and RuntimeClass, renews its Lease, runs
  // the pods bound to it (their ConfigMaps and Secrets), writes their status and host-port
  // annotation, deletes them when stopped, and records Events. Its log Secret lives in
  // kube-node-lease (the Role below). Its service proxy reads Services and EndpointSlices (as
  // kube-proxy's system:node-proxier). A Node authorizer narrows this to the node's own objects.
  clusterRole('system:node', [
    r(['create', 'get', 'list', 'watch', 'update', 'patch'], [''], ['nodes']),
    r(['update', 'patch'], [''], ['nodes/status']),
    r(['get', 'list', 'watch', 'patch', 'delete'], [''], ['pods']),
    r(['update', 'patch'], [''], ['pods/status']),
    r(['get'], [''], ['configmaps', 'secrets']),
    r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    r(['get', 'create', 'update', 'patch', 'delete'], ['coordination.k8s.io'], ['leases']),
    r(['get', 'list', 'watch', 'create'], ['node.k8s.io'], ['runtimeclasses']),
    r(['get', 'list', 'watch'], [''], ['services']),
    r(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
  ]),
  // The S3 gateway and bucket mirror (`src/objectstore/`): access keys to verify signatures
  // (and the admin's key at bootstrap), Bucket objects it keeps in line with the engine.
  clusterRole('system:stratus:s3-gateway', [
    r(['get', 'list', 'watch', 'create'], ['iam.stratus.dev'], ['accesskeys']),
    r(READ_WRITE, ['storage.stratus.dev'], ['buckets']),
  ]),
  // The Ingress controller (`src/ingress/`): what it routes and to where, the TLS Secrets it
  // serves, and the status it writes, as ingress-nginx's ClusterRole.
  clusterRole('system:stratus:ingress-controller', [
    r(['get', 'list', 'watch'], ['networking.k8s.io'], ['ingresses', 'ingressclasses']),
    r(['update', 'patch'], ['networking.k8s.io'], ['ingresses/status']),
    r(['get', 'list', 'watch'], [''], ['services', 'secrets']),
    r(['get', 'list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
  ]),
];

/** The agent's log Secret (`stratus-agent-NODE` in kube-node-lease), which the API's log proxy reads. */
export const BOOTSTRAP_ROLES: readonly KubeObject[] = [
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: {
      name: 'system:node:log-secrets',
      namespace: 'kube-node-lease',
      labels: { ...BOOTSTRAP_LABEL },
      annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
    },
    rules: [r(['create', 'update', 'patch'], [''], ['secrets'])],
  },
];

const group = (name: string): Subject => ({ kind: 'Group', name, apiGroup: RBAC });
const user = (name: string): Subject => ({ kind: 'User', name, apiGroup: RBAC });

function binding(
  kind: 'ClusterRoleBinding' | 'RoleBinding',
  name: string,
  role: string,
  subjects: Subject[],
  namespace?: string,
): KubeObject {
  return {
    apiVersion: `${RBAC}/v1`,
    kind,
    metadata: {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      labels: { ...BOOTSTRAP_LABEL },
      annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
    },
    roleRef: { apiGroup: RBAC, kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole', name: role },
    subjects,
  };
}

/**
 * The ClusterRoleBindings. As upstream: cluster-admin to system:masters, discovery and
 * basic-user to system:authenticated, public-info-viewer to both authenticated and
 * unauthenticated, the component roles to their users. `system:node` is bound to the
 * `system:nodes` group (Kubernetes did so before its Node authorizer) so that agents keep
 * working until each gets a node-scoped identity.
 */
export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly KubeObject[] = [
  binding('ClusterRoleBinding', 'cluster-admin', 'cluster-admin', [group('system:masters')]),
  binding('ClusterRoleBinding', 'system:discovery', 'system:discovery', [group('system:authenticated')]),
  binding('ClusterRoleBinding', 'system:basic-user', 'system:basic-user', [group('system:authenticated')]),
  binding('ClusterRoleBinding', 'system:public-info-viewer', 'system:public-info-viewer', [
    group('system:authenticated'),
    group('system:unauthenticated'),
  ]),
  binding('ClusterRoleBinding', 'system:kube-controller-manager', 'system:kube-controller-manager', [
    user('system:kube-controller-manager'),
  ]),
  binding('ClusterRoleBinding', 'system:node', 'system:node', [group('system:nodes')]),
  binding('ClusterRoleBinding', 'system:stratus:s3-gateway', 'system:stratus:s3-gateway', [
    user('system:stratus:s3-gateway'),
  ]),
  binding('ClusterRoleBinding', 'system:stratus:ingress-controller', 'system:stratus:ingress-controller', [
    user('system:stratus:ingress-controller'),
  ]),
];

/** The RoleBindings (namespaced). */
export const BOOTSTRAP_ROLE_BINDINGS: readonly KubeObject[] = [
  binding(
    'RoleBinding',
    'system:node:log-secrets',
    'system:node:log-secrets',
    [group('system:nodes')],
    'kube-node-lease',
  ),
];
