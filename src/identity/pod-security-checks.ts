/**
 * The Pod Security Standards' checks (Kubernetes' pod-security-admission `policy` package, as of
 * 1.32), each a pure function of a pod's metadata and spec that returns its forbidden reason and
 * detail, worded as Kubernetes words them. Stratus adds one baseline check for the `process`
 * runtime, whose containers are host processes: `runAsUser=0` would be the host's root.
 */

/** A level of the Pod Security Standards. */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

interface SecurityContext {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  appArmorProfile?: { type?: string };
  windowsOptions?: { hostProcess?: boolean };
}
interface Container {
  name: string;
  ports?: Array<{ hostPort?: number }>;
  securityContext?: SecurityContext;
}
/** The parts of a pod spec the checks read. */
export interface PodSpecLike {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  runtimeClassName?: string;
  securityContext?: SecurityContext & { sysctls?: Array<{ name: string }> };
  volumes?: Array<Record<string, unknown> & { name: string }>;
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
}

/** One failed check. */
export interface Violation {
  reason: string;
  detail: string;
}

type Check = (spec: PodSpecLike, annotations: Record<string, string>) => Violation | undefined;

const plural = (one: string, many: string, n: number): string => (n === 1 ? one : many);
const quote = (items: readonly string[]): string => items.map((i) => JSON.stringify(i)).join(', ');
const containersOf = (spec: PodSpecLike): Container[] => [
  ...(spec.initContainers ?? []),
  ...(spec.containers ?? []),
  ...(spec.ephemeralContainers ?? []),
];
const containerPhrase = (names: string[]): string =>
  `${plural('container', 'containers', names.length)} ${quote(names)}`;

function badContainers(spec: PodSpecLike, bad: (c: Container) => boolean): string[] {
  return containersOf(spec)
    .filter(bad)
    .map((c) => c.name);
}

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD',
  'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
]); // prettier-ignore
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]); // prettier-ignore
const RESTRICTED_VOLUMES = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
]); // prettier-ignore

const appArmor: Check = (spec, annotations) => {
  const forbidden: string[] = [];
  if (spec.securityContext?.appArmorProfile?.type === 'Unconfined') forbidden.push('pod');
  const names = badContainers(
    spec,
    (c) =>
      c.securityContext?.appArmorProfile?.type === 'Unconfined' ||
      annotations[`container.apparmor.security.beta.kubernetes.io/${c.name}`] === 'unconfined',
  );
  if (names.length > 0) forbidden.push(containerPhrase(names));
  if (forbidden.length === 0) return undefined;
  return {
    reason: 'forbidden AppArmor profile',
    detail: `${forbidden.join(' and ')} must not set an "Unconfined" profile`,
  };
};

const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);

const seLinux: Check = (spec) => {
  const bad = (o: SecurityContext['seLinuxOptions']): boolean =>
    o !== undefined && (!SELINUX_TYPES.has(o.type ?? '') || (o.user ?? '') !== '' || (o.role ?? '') !== '');
  const setters: string[] = bad(spec.securityContext?.seLinuxOptions) ? ['pod'] : [];
  const names = badContainers(spec, (c) => bad(c.securityContext?.seLinuxOptions));
  if (names.length > 0) setters.push(containerPhrase(names));
  if (setters.length === 0) return undefined;
  return {
    reason: 'seLinuxOptions',
    detail: `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: type, user or role`,
  };
};

const hostNamespaces: Check = (spec) => {
  const used = (['hostIPC', 'hostNetwork', 'hostPID'] as const).filter((k) => spec[k] === true);
  return used.length > 0 ? { reason: 'host namespaces', detail: used.join(', ') } : undefined;
};

const privileged: Check = (spec) => {
  const names = badContainers(spec, (c) => c.securityContext?.privileged === true);
  if (names.length === 0) return undefined;
  return {
    reason: 'privileged',
    detail: `${containerPhrase(names)} must not set securityContext.privileged=true`,
  };
};

const capabilitiesBaseline: Check = (spec) => {
  const caps = new Set<string>();
  const names = badContainers(spec, (c) => {
    const extra = (c.securityContext?.capabilities?.add ?? []).filter(
      (cap) => !BASELINE_CAPABILITIES.has(cap),
    );
    for (const cap of extra) caps.add(cap);
    return extra.length > 0;
  });
  if (names.length === 0) return undefined;
  return {
    reason: 'non-default capabilities',
    detail: `${containerPhrase(names)} must not include ${quote([...caps].sort())} in securityContext.capabilities.add`,
  };
};

const hostPathVolumes: Check = (spec) => {
  const names = (spec.volumes ?? []).filter((v) => v.hostPath !== undefined).map((v) => v.name);
  if (names.length === 0) return undefined;
  return {
    reason: 'hostPath volumes',
    detail: `${plural('volume', 'volumes', names.length)} ${quote(names)}`,
  };
};

const hostPorts: Check = (spec) => {
  const ports = new Set<number>();
  const names = badContainers(spec, (c) => {
    const used = (c.ports ?? []).map((p) => p.hostPort ?? 0).filter((p) => p !== 0);
    for (const p of used) ports.add(p);
    return used.length > 0;
  });
  if (names.length === 0) return undefined;
  const list = [...ports].map(String).sort();
  return {
    reason: 'hostPort',
    detail: `${containerPhrase(names)} ${plural('uses', 'use', names.length)} ${plural('hostPort', 'hostPorts', list.length)} ${list.join(', ')}`,
  };
};

const procMount: Check = (spec) => {
  const names = badContainers(spec, (c) => (c.securityContext?.procMount ?? 'Default') !== 'Default');
  if (names.length === 0) return undefined;
  return {
    reason: 'procMount',
    detail: `${containerPhrase(names)} must not set securityContext.procMount to "Unmasked"`,
  };
};

const seccompBaseline: Check = (spec) => {
  const bad = (t: string | undefined): boolean => t === 'Unconfined';
  const setters: string[] = bad(spec.securityContext?.seccompProfile?.type) ? ['pod'] : [];
  const names = badContainers(spec, (c) => bad(c.securityContext?.seccompProfile?.type));
  if (names.length > 0) setters.push(containerPhrase(names));
  if (setters.length === 0) return undefined;
  return {
    reason: 'seccompProfile',
    detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined"`,
  };
};

const sysctls: Check = (spec) => {
  const bad = (spec.securityContext?.sysctls ?? []).map((s) => s.name).filter((n) => !SAFE_SYSCTLS.has(n));
  return bad.length > 0 ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
};

/** Which pod and containers set `runAsUser: 0` (`pod and container "x"`), '' when none. */
function rootSetters(spec: PodSpecLike): string {
  const setters: string[] = spec.securityContext?.runAsUser === 0 ? ['pod'] : [];
  const names = badContainers(spec, (c) => c.securityContext?.runAsUser === 0);
  if (names.length > 0) setters.push(containerPhrase(names));
  return setters.join(' and ');
}

/** Stratus: on the `process` runtime a container is a host process, and uid 0 is the host's root. */
const processRuntimeRoot: Check = (spec) => {
  if ((spec.runtimeClassName ?? 'process') !== 'process') return undefined;
  const who = rootSetters(spec);
  return who === '' ? undefined : { reason: 'runAsUser=0', detail: `${who} must not set runAsUser=0` };
};

const runAsUser: Check = (spec) => {
  const who = rootSetters(spec);
  return who === '' ? undefined : { reason: 'runAsUser=0', detail: `${who} must not set runAsUser=0` };
};

const restrictedVolumes: Check = (spec) => {
  const bad = (spec.volumes ?? []).filter((v) => !Object.keys(v).some((k) => RESTRICTED_VOLUMES.has(k)));
  if (bad.length === 0) return undefined;
  const types = [...new Set(bad.map((v) => Object.keys(v).find((k) => k !== 'name') ?? 'unknown'))].sort();
  const names = bad.map((v) => v.name);
  return {
    reason: 'restricted volume types',
    detail: `${plural('volume', 'volumes', names.length)} ${quote(names)} ${plural('uses', 'use', names.length)} ${plural('restricted volume type', 'restricted volume types', types.length)} ${quote(types)}`,
  };
};

const allowPrivilegeEscalation: Check = (spec) => {
  const names = badContainers(spec, (c) => c.securityContext?.allowPrivilegeEscalation !== false);
  if (names.length === 0) return undefined;
  return {
    reason: 'allowPrivilegeEscalation != false',
    detail: `${containerPhrase(names)} must set securityContext.allowPrivilegeEscalation=false`,
  };
};

const runAsNonRoot: Check = (spec) => {
  const podSet = spec.securityContext?.runAsNonRoot;
  const setters: string[] = podSet === false ? ['pod'] : [];
  const explicit = badContainers(spec, (c) => c.securityContext?.runAsNonRoot === false);
  if (explicit.length > 0) setters.push(containerPhrase(explicit));
  if (setters.length > 0)
    return {
      reason: 'runAsNonRoot != true',
      detail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false`,
    };
  const implicit = badContainers(
    spec,
    (c) => c.securityContext?.runAsNonRoot === undefined && podSet !== true,
  );
  if (implicit.length === 0) return undefined;
  return {
    reason: 'runAsNonRoot != true',
    detail: `pod or ${containerPhrase(implicit)} must set securityContext.runAsNonRoot=true`,
  };
};

const seccompRestricted: Check = (spec) => {
  const valid = (t: string | undefined): boolean => t === 'RuntimeDefault' || t === 'Localhost';
  const podType = spec.securityContext?.seccompProfile?.type;
  const setters: string[] = podType !== undefined && !valid(podType) ? ['pod'] : [];
  const values = new Set<string>(setters.length > 0 ? [podType ?? ''] : []);
  const explicit = badContainers(spec, (c) => {
    const t = c.securityContext?.seccompProfile?.type;
    if (t === undefined || valid(t)) return false;
    values.add(t);
    return true;
  });
  if (explicit.length > 0) setters.push(containerPhrase(explicit));
  if (setters.length > 0)
    return {
      reason: 'seccompProfile',
      detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${quote([...values].sort())}`,
    };
  if (valid(podType)) return undefined;
  const implicit = badContainers(spec, (c) => c.securityContext?.seccompProfile?.type === undefined);
  if (implicit.length === 0) return undefined;
  return {
    reason: 'seccompProfile',
    detail: `pod or ${containerPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
  };
};

const capabilitiesRestricted: Check = (spec) => {
  const caps = new Set<string>();
  const missingDrop = badContainers(
    spec,
    (c) => !(c.securityContext?.capabilities?.drop ?? []).includes('ALL'),
  );
  const adding = badContainers(spec, (c) => {
    const extra = (c.securityContext?.capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
    for (const cap of extra) caps.add(cap);
    return extra.length > 0;
  });
  const details: string[] = [];
  if (missingDrop.length > 0)
    details.push(`${containerPhrase(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length > 0)
    details.push(
      `${containerPhrase(adding)} must not include ${quote([...caps].sort())} in securityContext.capabilities.add`,
    );
  return details.length > 0 ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
};

/**
 * The checks of each level, in Kubernetes' order (its check files' names); restricted replaces
 * the baseline checks it tightens (hostPath by restricted volume types, capabilities and
 * seccomp by their restricted forms, Stratus' runAsUser by Kubernetes' own).
 */
const BASELINE: Check[] = [
  appArmor, capabilitiesBaseline, hostNamespaces, hostPathVolumes, hostPorts, privileged, procMount,
  processRuntimeRoot, seLinux, seccompBaseline, sysctls,
]; // prettier-ignore
const RESTRICTED: Check[] = [
  allowPrivilegeEscalation, appArmor, capabilitiesRestricted, hostNamespaces, hostPorts, privileged,
  procMount, restrictedVolumes, runAsNonRoot, runAsUser, seLinux, seccompRestricted, sysctls,
]; // prettier-ignore

/** Every check a pod fails at a level (none at `privileged`). */
export function podSecurityViolations(
  level: PodSecurityLevel,
  spec: PodSpecLike,
  annotations: Record<string, string> = {},
): Violation[] {
  const checks = level === 'restricted' ? RESTRICTED : level === 'baseline' ? BASELINE : [];
  return checks.flatMap((check) => check(spec, annotations) ?? []);
}

/** Violations as Kubernetes lists them: `reason (detail), reason (detail)`. */
export function violationText(violations: readonly Violation[]): string {
  return violations.map((v) => (v.detail === '' ? v.reason : `${v.reason} (${v.detail})`)).join(', ');
}
