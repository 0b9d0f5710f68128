/**
 * kube-apiserver's lease endpoint reconciler, as pure functions: each API server keeps a Lease
 * in `kube-system` (labelled `apiserver.kubernetes.io/identity: kube-apiserver`, as
 * kube-apiserver's identity leases are) naming where it answers, renews it every 10 s for 15 s
 * (kube's `--endpoint-reconciler-type=lease` timings), and the `default/kubernetes` Endpoints
 * list the servers whose Lease has not expired. Expiry is judged from when this server last saw
 * a Lease *change* (client-go's observed time), never from the writer's renewTime, so servers
 * whose clocks disagree do not drop each other early.
 */
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import {
  leaseRecordFromSpec,
  leaseSpecFromRecord,
  observedTime,
  type LeaseObservation,
} from '../machinery/index.js';

/** The label every API server Lease carries, and its value. */
export const APISERVER_IDENTITY_LABEL = 'apiserver.kubernetes.io/identity';
export const APISERVER_IDENTITY = 'kube-apiserver';
/** Where the Leases live. */
export const APISERVER_LEASE_NAMESPACE = 'kube-system';
/** The address and port a server is reached on, as its Lease carries them. */
export const ADDRESS_ANNOTATION = 'stratus.dev/apiserver-address';
export const PORT_ANNOTATION = 'stratus.dev/apiserver-port';
/** kube-apiserver's lease time-to-live and reconcile interval. */
export const APISERVER_LEASE_SECONDS = 15;
export const APISERVER_RENEW_INTERVAL_MS = 10_000;

/** Where one API server answers. */
export interface ServerAddress {
  address: string;
  port: number;
}

/** A Lease as this reconciler reads it. */
export interface LeaseObject extends KubeObject {
  spec?: Record<string, unknown>;
}

const dnsLabel = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');

/** The Lease name of a server: `apiserver-NAME-ADDRESS-PORT` (one per listening address). */
export function apiserverLeaseName(identity: string, at: ServerAddress): string {
  return `apiserver-${dnsLabel(identity)}-${dnsLabel(at.address)}-${at.port}`.slice(0, 253);
}

/** The Lease a server writes when it renews at `nowMs`. */
export function apiserverLease(identity: string, at: ServerAddress, nowMs: number): LeaseObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: apiserverLeaseName(identity, at),
      namespace: APISERVER_LEASE_NAMESPACE,
      labels: { [APISERVER_IDENTITY_LABEL]: APISERVER_IDENTITY },
      annotations: { [ADDRESS_ANNOTATION]: at.address, [PORT_ANNOTATION]: String(at.port) },
    },
    spec: leaseSpecFromRecord({
      holderIdentity: identity,
      leaseDurationSeconds: APISERVER_LEASE_SECONDS,
      acquireTimeMs: nowMs,
      renewTimeMs: nowMs,
      leaseTransitions: 0,
    }),
  };
}

/**
 * The servers whose Leases are live at `nowMs`, sorted, and the observations to keep for the
 * next call (`observed` by Lease name; Leases that are gone are forgotten).
 */
export function liveServers(
  leases: readonly LeaseObject[],
  observed: ReadonlyMap<string, LeaseObservation>,
  nowMs: number,
): { servers: ServerAddress[]; observed: Map<string, LeaseObservation> } {
  const next = new Map<string, LeaseObservation>();
  const servers: ServerAddress[] = [];
  for (const lease of leases) {
    const name = lease.metadata?.name ?? '';
    const record = leaseRecordFromSpec(lease.spec);
    const observedAtMs = observedTime(record, observed.get(name), nowMs);
    next.set(name, { record, observedAtMs });
    const notes = lease.metadata?.annotations ?? {};
    const address = notes[ADDRESS_ANNOTATION];
    const port = Number(notes[PORT_ANNOTATION]);
    const expiresAtMs = observedAtMs + record.leaseDurationSeconds * 1000;
    if (address === undefined || !Number.isInteger(port) || port <= 0 || expiresAtMs <= nowMs) continue;
    servers.push({ address, port });
  }
  return { servers: sortUnique(servers), observed: next };
}

function sortUnique(servers: readonly ServerAddress[]): ServerAddress[] {
  const seen = new Map(servers.map((s) => [`${s.address}:${s.port}`, s]));
  return [...seen.values()].sort((a, b) =>
    a.port !== b.port ? a.port - b.port : a.address < b.address ? -1 : a.address > b.address ? 1 : 0,
  );
}

/** The `default/kubernetes` Endpoints for `servers`: one subset per port, as the API repacks them. */
export function serverEndpoints(servers: readonly ServerAddress[]): Endpoints & KubeObject {
  const byPort = new Map<number, string[]>();
  for (const s of sortUnique(servers)) byPort.set(s.port, [...(byPort.get(s.port) ?? []), s.address]);
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default' },
    subsets: [...byPort].map(([port, addresses]) => ({
      addresses: addresses.map((ip) => ({ ip })),
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    })),
  };
}
