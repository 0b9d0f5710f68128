import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../common/clock.js';
import {
  ProbeState,
  resolveHandler,
  runHandler,
  type ContainerStatus as RtStatus,
  type Handler,
  type PortMapping,
  type Runtime,
} from '../runtime/index.js';

interface ProbeSlot {
  kind: 'Liveness' | 'Readiness' | 'Startup';
  spec: Probe;
  state: ProbeState;
  busy: boolean;
}

/** What one round of probing found. */
export interface ProbeOutcome {
  /** `Liveness probe failed: …` messages for Unhealthy Events. */
  failures: string[];
  /** Set when the container must be restarted: the Killing Event's message. */
  kill?: string;
  /** A verdict changed: the pod's status needs writing. */
  changed: boolean;
}

/**
 * One container of a pod as the agent tracks it across restarts: the runtime container of the
 * current attempt and the one before (`lastState`), the waiting reason while it cannot run, its
 * host ports (kept across restarts), and its probes as ProbeState machines.
 */
export class ContainerSlot {
  id: string | undefined;
  status: RtStatus | undefined;
  last: RtStatus | undefined;
  waiting: { reason: string; message?: string } | undefined;
  /** The image's ID as Kubernetes shows it (`repo@sha256:…`), once the agent pulled it for a runtime that uses images. */
  imageID: string | undefined;
  exitHandled = false;
  skipBackoff = false;
  ports: PortMapping[] | undefined;
  private attempt = -1;
  private probes: ProbeSlot[] = [];
  private startupDone = true;
  /** When the agent took on this container: the phase of its probes' ticker, as the kubelet's. */
  private readonly seenAtMs: number;

  constructor(
    readonly name: string,
    readonly init: boolean,
    private readonly clock: Clock,
  ) {
    this.seenAtMs = clock.now();
  }

  /** Kubernetes' restartCount: the attempt number of the current container. */
  get restartCount(): number {
    return Math.max(0, this.attempt);
  }

  get startupPassed(): boolean {
    return this.startupDone;
  }

  nextAttempt(): number {
    return this.attempt + 1;
  }

  /** Takes over a runtime container found after an agent restart (the newest attempt wins). */
  adopt(status: RtStatus): void {
    if (status.spec.attempt < this.attempt) {
      if (this.last === undefined || status.spec.attempt > this.last.spec.attempt) this.last = status;
      return;
    }
    if (this.status !== undefined && this.status.state === 'exited') this.last = this.status;
    this.id = status.id;
    this.status = status;
    this.attempt = status.spec.attempt;
    this.ports = status.spec.ports;
    this.exitHandled = status.state === 'exited';
    this.probes = [];
    this.startupDone = true;
  }

  /** A new container of this slot started. */
  started(id: string, status: RtStatus, _pod: Pod, container: Container): void {
    if (this.status?.state === 'exited') this.last = this.status;
    this.id = id;
    this.status = status;
    this.attempt = status.spec.attempt;
    this.ports = status.spec.ports;
    this.waiting = undefined;
    this.exitHandled = false;
    this.skipBackoff = false;
    this.setProbes(container, Date.parse(status.startedAt));
  }

  private setProbes(c: Container, startedAtMs: number): void {
    const make = (kind: ProbeSlot['kind'], spec: Probe | undefined): ProbeSlot[] =>
      spec === undefined
        ? []
        : [
            {
              kind,
              spec,
              busy: false,
              state: new ProbeState(this.clock, spec, {
                startedAtMs,
                anchorMs: Math.min(this.seenAtMs, startedAtMs),
                initial: kind === 'Readiness' ? 'failure' : 'unknown',
              }),
            },
          ];
    this.probes = [
      ...make('Startup', c.startupProbe),
      ...make('Liveness', c.livenessProbe),
      ...make('Readiness', c.readinessProbe),
    ];
    this.startupDone = c.startupProbe === undefined;
  }

  /** Ready: running, started, and readiness (when probed) says success. */
  isReady(): boolean {
    if (this.status?.state !== 'running' || !this.startupDone) return false;
    const r = this.probes.find((p) => p.kind === 'Readiness');
    return r === undefined || r.state.verdict === 'success';
  }

  /** The container's preStop hook resolved against its ports. */
  preStop(c: Container | undefined): Handler | undefined {
    const h = c?.lifecycle?.preStop;
    if (h === undefined) return undefined;
    try {
      return resolveHandler(h, this.ports ?? [], 'preStop');
    } catch {
      return undefined;
    }
  }

  /** Runs every probe that is due once; see ProbeOutcome. */
  async probe(runtime: Runtime): Promise<ProbeOutcome> {
    const out: ProbeOutcome = { failures: [], changed: false };
    const id = this.id;
    if (id === undefined) return out;
    for (const p of this.probes) {
      if (p.busy || !p.state.due()) continue;
      if (p.kind !== 'Startup' && !this.startupDone) continue;
      if (p.kind === 'Startup' && this.startupDone) continue;
      p.busy = true;
      try {
        const before = p.state.verdict;
        const handler = resolveHandler(p.spec, this.ports ?? [], `${p.kind.toLowerCase()} probe`);
        // A pod on the pod network is probed at its own address, as kubelet probes podIP.
        const podIP = this.status?.spec.sandbox?.podIP;
        const r = await runHandler(handler, {
          timeoutSeconds: p.spec.timeoutSeconds ?? 1,
          ...(podIP !== undefined ? { host: podIP } : {}),
          exec: (command, o) => runtime.exec(id, command, o),
        });
        const verdict = p.state.record(r.success, r.message);
        if (!r.success) out.failures.push(`${p.kind} probe failed: ${r.message}`);
        if (verdict !== before) out.changed = true;
        if (p.kind === 'Startup' && verdict === 'success') this.startupDone = true;
        if ((p.kind === 'Liveness' || p.kind === 'Startup') && verdict === 'failure') {
          out.kill = `Container ${this.name} failed ${p.kind.toLowerCase()} probe, will be restarted`;
          this.probes = [];
          break;
        }
      } catch (err) {
        out.failures.push(`${p.kind} probe errored: ${(err as Error).message}`);
      } finally {
        p.busy = false;
      }
    }
    return out;
  }
}
