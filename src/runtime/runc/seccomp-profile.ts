/** An OCI runtime-spec `linux.seccomp` section, as runc 1.1 reads it. */
export interface OciSeccomp {
  defaultAction: string;
  architectures: string[];
  syscalls: OciSyscallRule[];
}

/** One rule of an OCI seccomp profile. */
export interface OciSyscallRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo: number; op: string }[];
}

const EPERM = 1;
const ENOSYS = 38;

/**
 * What Docker's and containerd's default profile refuses, as data of our own: each syscall with
 * the capabilities any of which lets a container make it (an empty list: none does). Keys and
 * keyrings, kernel modules, kexec and reboot, mounting and namespaces, tracing other processes,
 * the clock, NUMA policy, raw I/O ports, obsolete calls and the userfaultfd/perf/bpf attack
 * surface.
 */
export const GATED_SYSCALLS: Readonly<Record<string, readonly string[]>> = {
  // The kernel keyring is not namespaced.
  add_key: [],
  keyctl: [],
  request_key: [],
  // Loading another kernel, modules, swap, obsolete or 32-bit-only calls.
  kexec_load: [],
  kexec_file_load: [],
  create_module: [],
  get_kernel_syms: [],
  query_module: [],
  nfsservctl: [],
  uselib: [],
  ustat: [],
  sysfs: [],
  _sysctl: [],
  vm86: [],
  vm86old: [],
  swapon: [],
  swapoff: [],
  pivot_root: [],
  init_module: ['CAP_SYS_MODULE'],
  finit_module: ['CAP_SYS_MODULE'],
  delete_module: ['CAP_SYS_MODULE'],
  reboot: ['CAP_SYS_BOOT'],
  acct: ['CAP_SYS_PACCT'],
  // Mounts, namespaces, hostnames, file handles, quotas.
  mount: ['CAP_SYS_ADMIN'],
  mount_setattr: ['CAP_SYS_ADMIN'],
  umount: ['CAP_SYS_ADMIN'],
  umount2: ['CAP_SYS_ADMIN'],
  fsopen: ['CAP_SYS_ADMIN'],
  fsconfig: ['CAP_SYS_ADMIN'],
  fsmount: ['CAP_SYS_ADMIN'],
  fspick: ['CAP_SYS_ADMIN'],
  move_mount: ['CAP_SYS_ADMIN'],
  open_tree: ['CAP_SYS_ADMIN'],
  unshare: ['CAP_SYS_ADMIN'],
  setns: ['CAP_SYS_ADMIN'],
  sethostname: ['CAP_SYS_ADMIN'],
  setdomainname: ['CAP_SYS_ADMIN'],
  quotactl: ['CAP_SYS_ADMIN'],
  quotactl_fd: ['CAP_SYS_ADMIN'],
  lookup_dcookie: ['CAP_SYS_ADMIN'],
  fanotify_init: ['CAP_SYS_ADMIN'],
  name_to_handle_at: ['CAP_SYS_ADMIN'],
  open_by_handle_at: ['CAP_DAC_READ_SEARCH'],
  bpf: ['CAP_SYS_ADMIN', 'CAP_BPF'],
  perf_event_open: ['CAP_SYS_ADMIN', 'CAP_PERFMON'],
  syslog: ['CAP_SYS_ADMIN', 'CAP_SYSLOG'],
  // Reading and writing other processes.
  ptrace: ['CAP_SYS_PTRACE'],
  process_vm_readv: ['CAP_SYS_PTRACE'],
  process_vm_writev: ['CAP_SYS_PTRACE'],
  process_madvise: ['CAP_SYS_PTRACE'],
  pidfd_getfd: ['CAP_SYS_PTRACE'],
  kcmp: ['CAP_SYS_PTRACE'],
  userfaultfd: ['CAP_SYS_PTRACE'],
  // The clock is the host's.
  settimeofday: ['CAP_SYS_TIME'],
  stime: ['CAP_SYS_TIME'],
  clock_settime: ['CAP_SYS_TIME'],
  clock_settime64: ['CAP_SYS_TIME'],
  clock_adjtime: ['CAP_SYS_TIME'],
  clock_adjtime64: ['CAP_SYS_TIME'],
  // NUMA placement, raw I/O ports, terminals.
  get_mempolicy: ['CAP_SYS_NICE'],
  set_mempolicy: ['CAP_SYS_NICE'],
  set_mempolicy_home_node: ['CAP_SYS_NICE'],
  mbind: ['CAP_SYS_NICE'],
  move_pages: ['CAP_SYS_NICE'],
  iopl: ['CAP_SYS_RAWIO'],
  ioperm: ['CAP_SYS_RAWIO'],
  vhangup: ['CAP_SYS_TTY_CONFIG'],
};

/** clone(2) flags that make namespaces: refused without CAP_SYS_ADMIN, as `unshare` is. */
export const CLONE_NAMESPACE_FLAGS: readonly number[] = [
  0x00020000, // CLONE_NEWNS
  0x02000000, // CLONE_NEWCGROUP
  0x04000000, // CLONE_NEWUTS
  0x08000000, // CLONE_NEWIPC
  0x10000000, // CLONE_NEWUSER
  0x20000000, // CLONE_NEWPID
  0x40000000, // CLONE_NEWNET
];

/** The seccomp architectures of a Node `process.arch`: the native one and its 32-bit ones. */
export function seccompArchitectures(arch: string): string[] {
  if (arch === 'x64') return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
  if (arch === 'arm64') return ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'];
  throw new RangeError(`no seccomp architectures known for ${arch}`);
}

/**
 * The `RuntimeDefault` profile for a container holding `capabilities`: Docker's default profile's
 * semantics — the syscalls of `GATED_SYSCALLS` fail with EPERM unless the container holds one of
 * their capabilities, clone(2) with a namespace flag fails with EPERM and clone3(2) with ENOSYS
 * (so that libc falls back to clone, whose flags a filter can read) without CAP_SYS_ADMIN.
 * Unlike Docker's allow-list this is a deny-list: a syscall newer than the list is allowed. The
 * 32-bit architectures are listed so their syscall numbers are filtered too, not let through by
 * the default action. Pure.
 */
export function defaultSeccompProfile(capabilities: readonly string[], arch: string): OciSeccomp {
  const holds = new Set(capabilities);
  const denied = Object.entries(GATED_SYSCALLS)
    .filter(([, caps]) => !caps.some((c) => holds.has(c)))
    .map(([name]) => name);
  const syscalls: OciSyscallRule[] = [{ names: denied, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM }];
  if (!holds.has('CAP_SYS_ADMIN')) {
    for (const flag of CLONE_NAMESPACE_FLAGS)
      syscalls.push({
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: EPERM,
        args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
      });
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: seccompArchitectures(arch), syscalls };
}
