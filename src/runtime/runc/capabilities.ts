/**
 * Linux capabilities as OCI configs name them. Docker's (and containerd's) default set is what a
 * container gets unless it is privileged: enough to run as root inside (chown, setuid, bind low
 * ports) but not `CAP_SYS_ADMIN` (mount, namespaces), `CAP_NET_ADMIN` or `CAP_SYS_PTRACE`. Pure.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability up to Linux 5.9 (`CAP_CHECKPOINT_RESTORE`): what a privileged container gets. */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** `NET_ADMIN` or `CAP_NET_ADMIN` → `CAP_NET_ADMIN`; `ALL` stays `ALL`. */
function canonical(name: string): string {
  const upper = name.toUpperCase();
  return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/**
 * The capability set of a container: every capability when privileged, else Docker's defaults
 * with `add` then `drop` applied as the CRI does (`ALL` in `drop` empties the defaults first, `ALL`
 * in `add` grants everything). Unknown names are refused by the caller's validation, not here.
 */
export function containerCapabilities(options: {
  privileged?: boolean | undefined;
  add?: readonly string[] | undefined;
  drop?: readonly string[] | undefined;
}): string[] {
  if (options.privileged === true) return [...ALL_CAPABILITIES];
  const add = (options.add ?? []).map(canonical);
  const drop = (options.drop ?? []).map(canonical);
  let caps = drop.includes('ALL') ? [] : [...DEFAULT_CAPABILITIES];
  caps = caps.filter((c) => !drop.includes(c));
  for (const c of add.includes('ALL') ? ALL_CAPABILITIES : add) if (!caps.includes(c)) caps.push(c);
  return caps.filter((c) => ALL_CAPABILITIES.includes(c));
}

/**
 * The capabilities in a mask as /proc/PID/status prints it (`CapBnd: 000001fffeffffff`); the list
 * above is in bit order. A privileged container gets those of the runtime's own bounding set: runc
 * cannot grant more (a host or outer container that withholds `CAP_SYS_RESOURCE`, say). Pure.
 */
export function capabilitiesInMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim() || '0'}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask & (1n << BigInt(bit))) !== 0n);
}
