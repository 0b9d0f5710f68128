import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../common/stratus-error.js';
import { refuseOnProcess, refuseUnsupportedSecurity } from './security-refusals.js';

const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
  metadata: { name: 'p', uid: 'u' },
  spec: { containers: [], ...spec },
});
const c = (securityContext: Container['securityContext'] = {}): Container => ({
  name: 'app',
  securityContext,
});
const config = (err: unknown): boolean => hasCode(err, 'RUNTIME_CONTAINER_CONFIG');

test('settings no runtime here honours are refused with the reason; the others pass', () => {
  refuseUnsupportedSecurity(
    pod(),
    c({ runAsUser: 1000, appArmorProfile: { type: 'Unconfined' }, procMount: 'Default' }),
  );
  assert.throws(
    () => refuseUnsupportedSecurity(pod(), c({ seLinuxOptions: { level: 's0' } })),
    /seLinuxOptions.*no SELinux/,
  );
  assert.throws(
    () =>
      refuseUnsupportedSecurity(
        pod({ securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }),
        c(),
      ),
    /appArmorProfile type RuntimeDefault, which this node cannot honour/,
  );
  assert.throws(() => refuseUnsupportedSecurity(pod(), c({ procMount: 'Unmasked' })), /procMount Unmasked/);
  assert.throws(
    () =>
      refuseUnsupportedSecurity(
        pod({ securityContext: { sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] } }),
        c(),
      ),
    config,
  );
});

test('the process runtime refuses a seccomp profile but Unconfined, from the pod or the container', () => {
  refuseOnProcess(pod(), c({ seccompProfile: { type: 'Unconfined' } }));
  refuseOnProcess(pod(), c());
  assert.throws(
    () => refuseOnProcess(pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }), c()),
    /seccompProfile type RuntimeDefault, which the process runtime cannot honour.*runtimeClassName: runc/,
  );
  assert.throws(
    () => refuseOnProcess(pod(), c({ seccompProfile: { type: 'Localhost', localhostProfile: 'x' } })),
    config,
  );
  refuseOnProcess(
    pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }),
    c({ seccompProfile: { type: 'Unconfined' } }),
  );
});
