import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podSecurityViolations, violationText, type PodSpecLike } from './pod-security-checks.js';
import { namespacePolicy } from './pod-security-admission.js';

type Container = NonNullable<PodSpecLike['containers']>[number];
const c = (name: string, extra: Record<string, unknown> = {}): Container => ({ name, ...extra });

test('baseline refuses what owns the host, worded as Kubernetes words it', () => {
  const spec: PodSpecLike = {
    hostNetwork: true,
    hostPID: true,
    volumes: [
      { name: 'root', hostPath: { path: '/' } },
      { name: 'data', emptyDir: {} },
    ],
    containers: [
      c('app', {
        securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN', 'CHOWN'] } },
        ports: [{ hostPort: 80 }],
      }),
      c('side', { ports: [{ hostPort: 8080 }, { hostPort: 80 }] }),
    ],
  };
  assert.equal(
    violationText(podSecurityViolations('baseline', spec)),
    'non-default capabilities (container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add), ' +
      'host namespaces (hostNetwork, hostPID), hostPath volumes (volume "root"), ' +
      'hostPort (containers "app", "side" use hostPorts 80, 8080), ' +
      'privileged (container "app" must not set securityContext.privileged=true)',
  );
  assert.deepEqual(podSecurityViolations('privileged', spec), []);
});

test('on the process runtime baseline refuses uid 0, which would be the host root', () => {
  const root: PodSpecLike = {
    securityContext: { runAsUser: 0 },
    containers: [c('a'), c('b', { securityContext: { runAsUser: 0 } })],
  };
  assert.equal(
    violationText(podSecurityViolations('baseline', root)),
    'runAsUser=0 (pod and container "b" must not set runAsUser=0)',
  );
  assert.deepEqual(podSecurityViolations('baseline', { ...root, runtimeClassName: 'runc' }), []);
  assert.deepEqual(
    podSecurityViolations('baseline', { containers: [c('a', { securityContext: { runAsUser: 1000 } })] }),
    [],
  );
});

test('restricted wants non-root, no escalation, dropped capabilities, a seccomp profile', () => {
  const loose: PodSpecLike = { volumes: [{ name: 'h', hostPath: {} }], containers: [c('app')] };
  assert.equal(
    violationText(podSecurityViolations('restricted', loose)),
    'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), ' +
      'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), ' +
      'restricted volume types (volume "h" uses restricted volume type "hostPath"), ' +
      'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), ' +
      'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
  );
  const tight: PodSpecLike = {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    volumes: [{ name: 'p', projected: {} }],
    containers: [
      c('app', {
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
        },
      }),
    ],
  };
  assert.deepEqual(podSecurityViolations('restricted', tight), []);
});

test('namespace labels: levels, versions, and invalid values read as restricted', () => {
  const none = namespacePolicy({});
  assert.deepEqual(none.policy.enforce, { level: 'baseline', version: 'latest' });
  assert.deepEqual(none.errors, []);
  const set = namespacePolicy({
    'pod-security.kubernetes.io/enforce': 'privileged',
    'pod-security.kubernetes.io/warn': 'restricted',
    'pod-security.kubernetes.io/warn-version': 'v1.30',
  });
  assert.deepEqual(set.policy.enforce.level, 'privileged');
  assert.deepEqual(set.policy.warn, { level: 'restricted', version: 'v1.30' });
  const bad = namespacePolicy({
    'pod-security.kubernetes.io/enforce': 'lax',
    'pod-security.kubernetes.io/audit-version': '2',
  });
  assert.equal(bad.policy.enforce.level, 'restricted');
  assert.deepEqual(bad.errors, [
    'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "lax": must be one of privileged, baseline, restricted',
    'metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: "2": must be "latest" or "v1.x"',
  ]);
});
