import type { KubeObject } from '../common/kube-object.js';
import type { PolicyRule } from './authorizer.js';
import { NODE_RULES } from './node-rules.js';
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
  // Prometheus' scrape permission, as Kubernetes' `system:monitoring`, plus the agents' metrics
  // through the API (`nodes/NAME/proxy/metrics`, authorized as `nodes/metrics`).
  clusterRole('system:monitoring', [
    urls(
      ['get'],
      [
        '/metrics',
        '/metrics/slis',
        '/metrics/objects',
        '/livez',
        '/readyz',
        '/healthz',
        '/livez/*',
        '/readyz/*',
        '/healthz/*',
      ],
    ),
    r(['get'], [''], ['nodes/metrics']),
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
  // The resource metrics API (`kubectl top`), aggregated into view, edit and admin as the role
  // metrics-server installs.
  clusterRole('system:aggregated-metrics-reader', [r(READ, ['metrics.k8s.io'], ['pods', 'nodes'])], {
    labels: { ...aggregateTo('view'), ...aggregateTo('edit'), ...aggregateTo('admin') },
  }),
  // Usage records (`stratus usage`, `stratus smoothness`): readable by whoever may view a
  // namespace, for that namespace; the price sheets by cluster-wide viewers.
  clusterRole(
    'system:aggregated-usage-reader',
    [r(READ, ['usage.stratus.dev'], ['usages']), r(READ, ['billing.stratus.dev'], ['pricesheets'])],
    { labels: { ...aggregateTo('view'), ...aggregateTo('edit'), ...aggregateTo('admin') } },
  ),
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
  // Stratus' controllers (`src/controllers/`, user `system:kube-controller-manager`): informers
  // on the workload kinds, nodes, leases, namespaces, Services and ServiceAccounts; pod,
  // ReplicaSet, Job, Endpoints and EndpointSlice writes; status writes (LoadBalancer Services'
  // too); Events; the default ServiceAccount and the kube-root-ca.crt ConfigMap of every
  // namespace; the aggregation controller's ClusterRole writes; its leader-election Leases.
  clusterRole('system:kube-controller-manager', [
    r(['list', 'watch'], [''], ['pods', 'nodes', 'namespaces']),
    r(['create', 'patch', 'delete'], [''], ['pods']),
    r(['patch', 'update'], [''], ['pods/status', 'nodes', 'nodes/status']),
    r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    r(['get', 'list', 'watch', 'create', 'update'], ['coordination.k8s.io'], ['leases']),
    r(['list', 'watch', 'patch'], ['apps'], ['deployments', 'daemonsets']),
    r(['get', 'list', 'watch', 'create', 'patch', 'delete'], ['apps'], ['replicasets']),
    r(['patch', 'update'], ['apps'], ['deployments/status', 'replicasets/status', 'daemonsets/status']),
    r(['list', 'watch', 'create', 'delete'], ['batch'], ['jobs']),
    r(['list', 'watch', 'patch'], ['batch'], ['cronjobs']),
    r(['patch', 'update'], ['batch'], ['jobs/status', 'cronjobs/status']),
    r(['list', 'watch'], [''], ['services']),
    r(['patch', 'update'], [''], ['services/status']),
    r(['list', 'watch', 'create', 'update', 'delete'], [''], ['endpoints']),
    r(['list', 'watch', 'create', 'update', 'delete'], ['discovery.k8s.io'], ['endpointslices']),
    r(['list', 'watch', 'create'], [''], ['serviceaccounts']),
    r(['list', 'watch', 'create', 'update'], [''], ['configmaps']),
    r(['get', 'list', 'watch', 'update', 'patch'], [RBAC], ['clusterroles']),
    r(['escalate'], [RBAC], ['clusterroles']),
    // The HPA controller: its objects, their status, the targets' scale, the pods' metrics.
    r(['list', 'watch'], ['autoscaling'], ['horizontalpodautoscalers']),
    r(['patch', 'update'], ['autoscaling'], ['horizontalpodautoscalers/status']),
    r(['get', 'update', 'patch'], ['apps'], ['deployments/scale', 'replicasets/scale']),
    r(['list'], ['metrics.k8s.io'], ['pods']),
  ]),
  // The scheduler (`src/scheduler/`, user `system:kube-scheduler`): pods and nodes from
  // informers, bindings, the PodScheduled condition of pods it cannot place, Events, its Lease.
  clusterRole('system:kube-scheduler', [
    r(READ, [''], ['pods', 'nodes']),
    r(['create'], [''], ['pods/binding', 'bindings']),
    r(['patch', 'update'], [''], ['pods/status']),
    r(['get', 'list', 'watch', 'create', 'update'], ['coordination.k8s.io'], ['leases']),
    r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
  ]),
  // Kubernetes' node rules (`node-rules.ts`). Bound to nothing, as since Kubernetes 1.8: node
  // credentials are decided by the Node authorizer, which narrows them to the node's own objects.
  clusterRole('system:node', [...NODE_RULES]),
  // What a bootstrap token may do (bound to `system:bootstrappers`): ask for a node credential.
  clusterRole('system:node-bootstrapper', [r(['create'], ['iam.stratus.dev'], ['nodecredentialrequests'])]),
  // May create S3 access keys (each its own: AccessKey admission), not read anyone's. Bound to
  // nobody by default: `kubectl create clusterrolebinding NAME --clusterrole=stratus:s3-keys --user=U`.
  clusterRole('stratus:s3-keys', [r(['create'], ['iam.stratus.dev'], ['accesskeys'])]),
  // The bucket mirror (`src/objectstore/cluster/bucket-mirror.ts`, user `system:stratus:s3-gateway`):
  // the Bucket objects it keeps in line with the engine, with exactly the verbs it calls. The
  // gateway reads access keys from the store below the API (their secrets are write-only there)
  // and the admin's key is bootstrap, so this user reads no key and no Secret.
  clusterRole('system:stratus:s3-gateway', [
    r(['list', 'create', 'update', 'delete'], ['storage.stratus.dev'], ['buckets']),
    r(['patch'], ['storage.stratus.dev'], ['buckets/status']),
  ]),
  // The resourcequota controller (`src/controllers/resourcequota-controller.ts`, user
  // `system:controller:resourcequota-controller`), as Kubernetes' role of that name: it counts
  // what each namespace's objects use, of any kind a quota may name, and writes quotas' status.
  clusterRole('system:controller:resourcequota-controller', [
    r(['list', 'watch'], ['*'], ['*']),
    r(['update'], [''], ['resourcequotas/status']),
    r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
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

/** No namespaced Roles are bootstrapped (the agents' log Secrets are the Node authorizer's). */
export const BOOTSTRAP_ROLES: readonly KubeObject[] = [];

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
 * unauthenticated, the component roles to their users, `system:node-bootstrapper` to
 * `system:bootstrappers`, and `system:node` to nobody.
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
  binding('ClusterRoleBinding', 'system:kube-scheduler', 'system:kube-scheduler', [
    user('system:kube-scheduler'),
  ]),
  binding('ClusterRoleBinding', 'system:node', 'system:node', []),
  binding('ClusterRoleBinding', 'system:node-bootstrapper', 'system:node-bootstrapper', [
    group('system:bootstrappers'),
  ]),
  binding('ClusterRoleBinding', 'system:stratus:s3-gateway', 'system:stratus:s3-gateway', [
    user('system:stratus:s3-gateway'),
  ]),
  binding(
    'ClusterRoleBinding',
    'system:controller:resourcequota-controller',
    'system:controller:resourcequota-controller',
    [user('system:controller:resourcequota-controller')],
  ),
  binding('ClusterRoleBinding', 'system:stratus:ingress-controller', 'system:stratus:ingress-controller', [
    user('system:stratus:ingress-controller'),
  ]),
];

/** The RoleBindings (namespaced): none. */
export const BOOTSTRAP_ROLE_BINDINGS: readonly KubeObject[] = [];

/**
 * What earlier versions bootstrapped and reconciliation, which only adds, would otherwise keep:
 * subjects to take out of a binding, rules to take out of a ClusterRole, and objects to
 * delete. `system:node` was bound to the `system:nodes` group, and a Role let every node write
 * any Secret in kube-node-lease, until the Node authorizer took both over; the S3 gateway's user
 * could read and create access keys and do anything to Buckets until its role was narrowed.
 */
export const RETIRED_BOOTSTRAP_POLICY: {
  subjects: ReadonlyArray<{ binding: string; subject: Subject }>;
  rules: ReadonlyArray<{ clusterRole: string; rule: PolicyRule }>;
  objects: ReadonlyArray<{ resource: 'roles' | 'rolebindings'; namespace: string; name: string }>;
} = {
  subjects: [{ binding: 'system:node', subject: group('system:nodes') }],
  rules: [
    r(['get', 'list', 'watch', 'create'], ['iam.stratus.dev'], ['accesskeys']),
    r(READ_WRITE, ['storage.stratus.dev'], ['buckets']),
    r(['patch', 'update'], ['storage.stratus.dev'], ['buckets/status']),
  ].map((rule) => ({ clusterRole: 'system:stratus:s3-gateway', rule })),
  objects: [
    { resource: 'rolebindings', namespace: 'kube-node-lease', name: 'system:node:log-secrets' },
    { resource: 'roles', namespace: 'kube-node-lease', name: 'system:node:log-secrets' },
  ],
};
