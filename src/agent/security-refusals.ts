import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { containerConfigError } from '../runtime/index.js';
import { containerSecurity } from './container-launch.js';

/**
 * Refuses the securityContext settings no runtime of this node honours, rather than ignoring
 * them, as kubelet refuses an AppArmor profile on a host without AppArmor: SELinux labels and
 * AppArmor profiles (this node applies neither), `procMount: Unmasked` (it needs a user-namespaced
 * pod) and pod sysctls. A CreateContainerConfigError that says why. Pure.
 */
export function refuseUnsupportedSecurity(pod: Pod, c: Container): void {
  const podCtx = pod.spec?.securityContext ?? {};
  const own = c.securityContext ?? {};
  const refuse = (what: string, why: string): never => {
    throw containerConfigError(
      `container "${c.name}" asks for ${what}, which this node cannot honour: ${why}`,
    );
  };
  if (own.seLinuxOptions !== undefined || podCtx.seLinuxOptions !== undefined)
    refuse('securityContext.seLinuxOptions', 'it applies no SELinux labels');
  const apparmor = (own.appArmorProfile ?? podCtx.appArmorProfile)?.type;
  if (apparmor !== undefined && apparmor !== 'Unconfined')
    refuse(`appArmorProfile type ${apparmor}`, 'it applies no AppArmor profiles (use Unconfined)');
  if (own.procMount !== undefined && own.procMount !== 'Default')
    refuse(`procMount ${own.procMount}`, 'it needs a user-namespaced pod');
  if ((podCtx.sysctls ?? []).length > 0) refuse('pod sysctls', 'it sets no sysctls');
}

/**
 * Refuses what the process runtime cannot honour rather than ignoring it: a read-only root file
 * system (its containers share the host's), a seccomp profile (it filters no syscalls). A
 * CreateContainerConfigError that names the way out.
 */
export function refuseOnProcess(pod: Pod, c: Container): void {
  if (c.securityContext?.readOnlyRootFilesystem === true)
    throw containerConfigError(
      `container "${c.name}" asks for securityContext.readOnlyRootFilesystem, which the process runtime cannot honour (its containers share the host's file system): use runtimeClassName: runc`,
    );
  const seccomp = containerSecurity(pod, c).seccompProfile?.type;
  if (seccomp !== undefined && seccomp !== 'Unconfined')
    throw containerConfigError(
      `container "${c.name}" asks for seccompProfile type ${seccomp}, which the process runtime cannot honour (it filters no syscalls): use runtimeClassName: runc, or Unconfined`,
    );
}
