import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { containerConfigError, type ProcessIdentity } from '../runtime/index.js';
import { POD_ID_BLOCK } from './pod-ids.js';

/**
 * The highest folder above `dir` that other users cannot enter (no search bit for others): what
 * a pod's mount namespace covers, so that nothing beside the pod's own folder can be reached.
 * Undefined when every folder above is open (the pod folder's own mode then protects it).
 */
export function hiddenAncestor(dir: string): string | undefined {
  let highest: string | undefined;
  for (let d = dirname(dir); ; d = dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) highest = d;
    } catch {
      // unreadable: treat as closed
      highest = d;
    }
    if (dirname(d) === d) return highest;
  }
}

/**
 * Who a container of a pod runs as on the process runtime when the agent is root: a privileged
 * container, or one asking for `runAsUser: 0` (Pod Security lets only privileged namespaces do
 * either), runs as the host's root (undefined); any other gets ids from its pod's block — uid
 * `block + runAsUser`, gid `block + runAsGroup` (0 when unset) and the pod group `block` — with
 * `no_new_privs` unless it sets `allowPrivilegeEscalation: true`, the capabilities it adds, and a
 * mount namespace in which only its pod's folder is visible.
 */
export function containerIdentity(
  pod: Pod,
  container: Container,
  options: { block: number; podDir: string },
): ProcessIdentity | undefined {
  const podContext = pod.spec?.securityContext ?? {};
  const own = container.securityContext ?? {};
  const runAsUser = own.runAsUser ?? podContext.runAsUser;
  if (own.privileged === true || runAsUser === 0) return undefined;
  const inPod = (what: string, id: number): number => {
    if (!Number.isInteger(id) || id < 0 || id >= POD_ID_BLOCK)
      throw containerConfigError(
        `${what} ${id} is outside the ${POD_ID_BLOCK} ids a pod has on the process runtime (0-${POD_ID_BLOCK - 1})`,
      );
    return options.block + id;
  };
  const uid = inPod('runAsUser', runAsUser ?? 0);
  const gid = inPod('runAsGroup', own.runAsGroup ?? podContext.runAsGroup ?? 0);
  const groups = new Set([options.block]);
  for (const g of podContext.supplementalGroups ?? []) groups.add(inPod('supplementalGroups', g));
  if (podContext.fsGroup !== undefined && podContext.fsGroup !== null)
    groups.add(inPod('fsGroup', podContext.fsGroup));
  const hide = hiddenAncestor(options.podDir);
  return {
    uid,
    gid,
    groups: [...groups],
    noNewPrivileges: own.allowPrivilegeEscalation !== true,
    capabilities: (own.capabilities?.add ?? []).filter((c) => /^[A-Z_]+$/.test(c)),
    ...(hide !== undefined ? { isolate: { hide, show: options.podDir } } : {}),
  };
}
