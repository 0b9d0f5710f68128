import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import type { KubeObject } from '../common/kube-object.js';

/** The capacity a node advertises; each field overrides what the machine reports. */
export interface NodeCapacity {
  /** Cores; default `os.cpus().length`. */
  cpu?: number;
  /** A quantity (`4Gi`) or bytes; default `os.totalmem()`. */
  memory?: string | number;
  /** Default 110, as kubelet's maxPods. */
  maxPods?: number;
}

/** What `buildNode` needs besides the capacity. */
export interface NodeObjectOptions extends NodeCapacity {
  name: string;
  dataDir: string;
  /** The log endpoint's port (`status.daemonEndpoints.kubeletEndpoint.Port`). */
  agentPort: number;
  /** The address the API reaches the agent at; default 127.0.0.1. */
  address?: string;
  /** RFC 3339 heartbeat time for the conditions. */
  now: string;
  /** RFC 3339 time the conditions last changed; default `now`. */
  transitionTime?: string;
  /** The DiskPressure condition: why the disk is under pressure (undefined: it is not), since when. */
  diskPressure?: { message: string | undefined; since: string };
}

function osImage(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    if (m?.[1] !== undefined) return m[1];
  } catch {
    // not Linux, or no os-release: fall through
  }
  return `${platform()} ${release()}`;
}

function ephemeralStorage(dataDir: string): number {
  try {
    const s = statfsSync(dataDir);
    return s.blocks * s.bsize;
  } catch {
    return 0;
  }
}

const KUBE_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };

/**
 * The Node object an agent registers: labels (`kubernetes.io/hostname`, `os`, `arch`,
 * `node.kubernetes.io/instance-type: stratus`), capacity and allocatable (cpu, memory, pods,
 * ephemeral-storage from statfs of the data dir), addresses, conditions (Ready, and
 * Memory/Disk/PID pressure False), nodeInfo and the log endpoint's port.
 */
export function buildNode(options: NodeObjectOptions): KubeObject {
  const address = options.address ?? '127.0.0.1';
  const capacity = {
    cpu: String(options.cpu ?? cpus().length),
    memory:
      options.memory === undefined
        ? `${Math.floor(totalmem() / 1024)}Ki`
        : typeof options.memory === 'number'
          ? String(options.memory)
          : options.memory,
    pods: String(options.maxPods ?? 110),
    'ephemeral-storage': `${Math.floor(ephemeralStorage(options.dataDir) / 1024)}Ki`,
  };
  const cond = (type: string, status: string, reason: string, message: string): Record<string, string> => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: options.now,
    lastTransitionTime: options.transitionTime ?? options.now,
  });
  const nodeArch = KUBE_ARCH[arch()] ?? arch();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: options.name,
      labels: {
        'kubernetes.io/hostname': options.name,
        'kubernetes.io/os': platform(),
        'kubernetes.io/arch': nodeArch,
        'beta.kubernetes.io/os': platform(),
        'beta.kubernetes.io/arch': nodeArch,
        'node.kubernetes.io/instance-type': 'stratus',
      },
    },
    spec: {},
    status: {
      capacity,
      allocatable: { ...capacity },
      addresses: [
        { type: 'InternalIP', address },
        { type: 'Hostname', address: options.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: options.agentPort } },
      conditions: [
        cond(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        {
          ...(options.diskPressure?.message === undefined
            ? cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure')
            : cond('DiskPressure', 'True', 'KubeletHasDiskPressure', options.diskPressure.message)),
          ...(options.diskPressure ? { lastTransitionTime: options.diskPressure.since } : {}),
        },
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: `process://${process.version}`,
        kubeletVersion: 'v1.32.0-stratus',
        kubeProxyVersion: 'v1.32.0-stratus',
        operatingSystem: platform(),
        architecture: nodeArch,
      },
    },
  };
}

/** The node's Lease in `kube-node-lease`, renewed by the agent's heartbeat. */
export function buildLease(name: string, nowMicro: string, durationSeconds = 40): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: durationSeconds, renewTime: nowMicro },
  };
}
