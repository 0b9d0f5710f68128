/**
 * The protobuf field numbers (from Kubernetes' `generated.proto`) of the kinds and fields
 * kubectl's typed `create`/`run`/`expose` commands send, as JSON field names and types. Fields
 * not listed are skipped: these bodies are read only to create objects, whose decode and
 * validation then run as for JSON. Pure data.
 */
export type ProtoType =
  'string' | 'int' | 'bool' | 'bytes' | 'quantity' | 'int-or-string' | { message: ProtoMessage };

/**
 * One field: its JSON name (empty for an embedded message whose fields JSON inlines) and type;
 * `repeated` lists, or `map` with string keys. Go's protobuf
 * writes non-pointer fields even when empty, and JSON omits them, so empty strings, false and
 * 0 are dropped unless `keepZero` marks a pointer field whose 0 means something (`replicas`).
 */
export interface ProtoField {
  name: string;
  type: ProtoType;
  repeated?: boolean;
  map?: boolean;
  keepZero?: boolean;
}

/** A message: field number → field. */
export type ProtoMessage = Record<number, ProtoField>;

const f = (name: string, type: ProtoType, extra: Partial<ProtoField> = {}): ProtoField => ({
  name,
  type,
  ...extra,
});
const m = (message: ProtoMessage): ProtoType => ({ message });

const ownerReference: ProtoMessage = {
  1: f('kind', 'string'),
  3: f('name', 'string'),
  4: f('uid', 'string'),
  5: f('apiVersion', 'string'),
  6: f('controller', 'bool'),
  7: f('blockOwnerDeletion', 'bool'),
};

/** meta/v1 ObjectMeta. */
export const objectMeta: ProtoMessage = {
  1: f('name', 'string'),
  2: f('generateName', 'string'),
  3: f('namespace', 'string'),
  11: f('labels', 'string', { map: true }),
  12: f('annotations', 'string', { map: true }),
  13: f('ownerReferences', m(ownerReference), { repeated: true }),
  14: f('finalizers', 'string', { repeated: true }),
};

const labelSelector: ProtoMessage = {
  1: f('matchLabels', 'string', { map: true }),
  2: f(
    'matchExpressions',
    m({ 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', { repeated: true }) }),
    { repeated: true },
  ),
};

const container: ProtoMessage = {
  1: f('name', 'string'),
  2: f('image', 'string'),
  3: f('command', 'string', { repeated: true }),
  4: f('args', 'string', { repeated: true }),
  5: f('workingDir', 'string'),
  6: f(
    'ports',
    m({
      1: f('name', 'string'),
      2: f('hostPort', 'int'),
      3: f('containerPort', 'int'),
      4: f('protocol', 'string'),
      5: f('hostIP', 'string'),
    }),
    { repeated: true },
  ),
  7: f('env', m({ 1: f('name', 'string'), 2: f('value', 'string') }), { repeated: true }),
  8: f(
    'resources',
    m({ 1: f('limits', 'quantity', { map: true }), 2: f('requests', 'quantity', { map: true }) }),
  ),
  13: f('terminationMessagePath', 'string'),
  14: f('imagePullPolicy', 'string'),
  16: f('stdin', 'bool'),
  17: f('stdinOnce', 'bool'),
  18: f('tty', 'bool'),
  20: f('terminationMessagePolicy', 'string'),
};

const podSpec: ProtoMessage = {
  2: f('containers', m(container), { repeated: true }),
  3: f('restartPolicy', 'string'),
  4: f('terminationGracePeriodSeconds', 'int', { keepZero: true }),
  5: f('activeDeadlineSeconds', 'int', { keepZero: true }),
  6: f('dnsPolicy', 'string'),
  7: f('nodeSelector', 'string', { map: true }),
  8: f('serviceAccountName', 'string'),
  10: f('nodeName', 'string'),
  20: f('initContainers', m(container), { repeated: true }),
};

const podTemplateSpec: ProtoMessage = { 1: f('metadata', m(objectMeta)), 2: f('spec', m(podSpec)) };

const jobSpec: ProtoMessage = {
  1: f('parallelism', 'int', { keepZero: true }),
  2: f('completions', 'int', { keepZero: true }),
  3: f('activeDeadlineSeconds', 'int', { keepZero: true }),
  4: f('selector', m(labelSelector)),
  5: f('manualSelector', 'bool'),
  6: f('template', m(podTemplateSpec)),
  7: f('backoffLimit', 'int', { keepZero: true }),
  8: f('ttlSecondsAfterFinished', 'int', { keepZero: true }),
};

const ingressBackend: ProtoMessage = {
  3: f('resource', m({ 1: f('apiGroup', 'string'), 2: f('kind', 'string'), 3: f('name', 'string') })),
  4: f(
    'service',
    m({ 1: f('name', 'string'), 2: f('port', m({ 1: f('name', 'string'), 2: f('number', 'int') })) }),
  ),
};

/** networking/v1 IngressSpec (`kubectl create ingress`); a rule's `ingressRuleValue` is inlined in JSON. */
const ingressSpec: ProtoMessage = {
  1: f('defaultBackend', m(ingressBackend)),
  2: f('tls', m({ 1: f('hosts', 'string', { repeated: true }), 2: f('secretName', 'string') }), {
    repeated: true,
  }),
  3: f(
    'rules',
    m({
      1: f('host', 'string'),
      2: f(
        '',
        m({
          1: f(
            'http',
            m({
              1: f(
                'paths',
                m({ 1: f('path', 'string'), 2: f('backend', m(ingressBackend)), 3: f('pathType', 'string') }),
                { repeated: true },
              ),
            }),
          ),
        }),
      ),
    }),
    { repeated: true },
  ),
  4: f('ingressClassName', 'string'),
};

const withMeta = (spec: ProtoMessage, extra: ProtoMessage = {}): ProtoMessage => ({
  1: f('metadata', m(objectMeta)),
  2: f('spec', m(spec)),
  ...extra,
});

const policyRule: ProtoMessage = {
  1: f('verbs', 'string', { repeated: true }),
  2: f('apiGroups', 'string', { repeated: true }),
  3: f('resources', 'string', { repeated: true }),
  4: f('resourceNames', 'string', { repeated: true }),
  5: f('nonResourceURLs', 'string', { repeated: true }),
};

const roleBinding: ProtoMessage = {
  1: f('metadata', m(objectMeta)),
  2: f(
    'subjects',
    m({
      1: f('kind', 'string'),
      2: f('apiGroup', 'string'),
      3: f('name', 'string'),
      4: f('namespace', 'string'),
    }),
    { repeated: true },
  ),
  3: f('roleRef', m({ 1: f('apiGroup', 'string'), 2: f('kind', 'string'), 3: f('name', 'string') })),
};

const resourceAttributes: ProtoMessage = {
  1: f('namespace', 'string'),
  2: f('verb', 'string'),
  3: f('group', 'string'),
  4: f('version', 'string'),
  5: f('resource', 'string'),
  6: f('subresource', 'string'),
  7: f('name', 'string'),
};
const nonResourceAttributes: ProtoMessage = { 1: f('path', 'string'), 2: f('verb', 'string') };

const subjectAccessReview: ProtoMessage = withMeta({
  1: f('resourceAttributes', m(resourceAttributes)),
  2: f('nonResourceAttributes', m(nonResourceAttributes)),
  3: f('user', 'string'),
  4: f('groups', 'string', { repeated: true }),
  6: f('uid', 'string'),
});

/** The kinds read from protobuf, by `apiVersion/kind`. */
export const PROTO_KINDS: Record<string, ProtoMessage> = {
  'v1/Namespace': withMeta({ 1: f('finalizers', 'string', { repeated: true }) }),
  'v1/ConfigMap': {
    1: f('metadata', m(objectMeta)),
    2: f('data', 'string', { map: true }),
    3: f('binaryData', 'bytes', { map: true }),
    4: f('immutable', 'bool'),
  },
  'v1/Secret': {
    1: f('metadata', m(objectMeta)),
    2: f('data', 'bytes', { map: true }),
    3: f('type', 'string'),
    4: f('stringData', 'string', { map: true }),
    5: f('immutable', 'bool'),
  },
  'v1/Pod': withMeta(podSpec),
  'v1/ResourceQuota': withMeta({
    1: f('hard', 'quantity', { map: true }),
    2: f('scopes', 'string', { repeated: true }),
    3: f(
      'scopeSelector',
      m({
        1: f(
          'matchExpressions',
          m({
            1: f('scopeName', 'string'),
            2: f('operator', 'string'),
            3: f('values', 'string', { repeated: true }),
          }),
          { repeated: true },
        ),
      }),
    ),
  }),
  'v1/Service': withMeta({
    1: f(
      'ports',
      m({
        1: f('name', 'string'),
        2: f('protocol', 'string'),
        3: f('port', 'int'),
        4: f('targetPort', 'int-or-string'),
        5: f('nodePort', 'int'),
        6: f('appProtocol', 'string'),
      }),
      { repeated: true },
    ),
    2: f('selector', 'string', { map: true }),
    3: f('clusterIP', 'string'),
    4: f('type', 'string'),
    5: f('externalIPs', 'string', { repeated: true }),
    7: f('sessionAffinity', 'string'),
    8: f('loadBalancerIP', 'string'),
    10: f('externalName', 'string'),
  }),
  'networking.k8s.io/v1/Ingress': withMeta(ingressSpec),
  // What `kubectl autoscale` (≤ 1.32) sends.
  'autoscaling/v1/HorizontalPodAutoscaler': withMeta({
    1: f(
      'scaleTargetRef',
      m({ 1: f('kind', 'string'), 2: f('name', 'string'), 3: f('apiVersion', 'string') }),
    ),
    2: f('minReplicas', 'int', { keepZero: true }),
    3: f('maxReplicas', 'int'),
    4: f('targetCPUUtilizationPercentage', 'int', { keepZero: true }),
  }),
  'apps/v1/Deployment': withMeta({
    1: f('replicas', 'int', { keepZero: true }),
    2: f('selector', m(labelSelector)),
    3: f('template', m(podTemplateSpec)),
    4: f(
      'strategy',
      m({
        1: f('type', 'string'),
        2: f(
          'rollingUpdate',
          m({ 1: f('maxUnavailable', 'int-or-string'), 2: f('maxSurge', 'int-or-string') }),
        ),
      }),
    ),
    5: f('minReadySeconds', 'int'),
    6: f('revisionHistoryLimit', 'int', { keepZero: true }),
    7: f('paused', 'bool'),
    9: f('progressDeadlineSeconds', 'int', { keepZero: true }),
  }),
  'batch/v1/Job': withMeta(jobSpec),
  'batch/v1/CronJob': withMeta({
    1: f('schedule', 'string'),
    2: f('startingDeadlineSeconds', 'int', { keepZero: true }),
    3: f('concurrencyPolicy', 'string'),
    4: f('suspend', 'bool'),
    5: f('jobTemplate', m({ 1: f('metadata', m(objectMeta)), 2: f('spec', m(jobSpec)) })),
    6: f('successfulJobsHistoryLimit', 'int', { keepZero: true }),
    7: f('failedJobsHistoryLimit', 'int', { keepZero: true }),
    8: f('timeZone', 'string'),
  }),
  'rbac.authorization.k8s.io/v1/Role': {
    1: f('metadata', m(objectMeta)),
    2: f('rules', m(policyRule), { repeated: true }),
  },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    1: f('metadata', m(objectMeta)),
    2: f('rules', m(policyRule), { repeated: true }),
    3: f('aggregationRule', m({ 1: f('clusterRoleSelectors', m(labelSelector), { repeated: true }) })),
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': roleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': roleBinding,
  'authentication.k8s.io/v1/SelfSubjectReview': { 1: f('metadata', m(objectMeta)) },
  'authentication.k8s.io/v1/TokenRequest': withMeta({
    1: f('audiences', 'string', { repeated: true }),
    4: f('expirationSeconds', 'int'),
    3: f(
      'boundObjectRef',
      m({
        1: f('kind', 'string'),
        2: f('apiVersion', 'string'),
        3: f('name', 'string'),
        4: f('uid', 'string'),
      }),
    ),
  }),
  'v1/ServiceAccount': {
    1: f('metadata', m(objectMeta)),
    3: f('imagePullSecrets', m({ 1: f('name', 'string') }), { repeated: true }),
    4: f('automountServiceAccountToken', 'bool', { keepZero: true }),
  },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': withMeta({
    1: f('resourceAttributes', m(resourceAttributes)),
    2: f('nonResourceAttributes', m(nonResourceAttributes)),
  }),
  'authorization.k8s.io/v1/SelfSubjectRulesReview': withMeta({ 1: f('namespace', 'string') }),
  'authorization.k8s.io/v1/SubjectAccessReview': subjectAccessReview,
  'authorization.k8s.io/v1/LocalSubjectAccessReview': subjectAccessReview,
};
