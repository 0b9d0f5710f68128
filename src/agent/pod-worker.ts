import { dirname, join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/index.js';
import { StatusError } from '../client/index.js';
import type { Clock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';
import { hasCode } from '../common/stratus-error.js';
import {
  containerConfigError,
  podVolumesDir,
  removePodVolumes,
  type PortMapping,
  type ProcessIdentity,
  type ContainerStatus as RtStatus,
  type CrashBackoff,
  type Runtime,
  type RuntimeSet,
  type UnpackedImage,
} from '../runtime/index.js';
import { containerSpec, fetchPodSources, preparePodVolumes, type PodSources } from './container-launch.js';
import { refuseOnProcess, refuseUnsupportedSecurity } from './security-refusals.js';
import { PodTokens } from './pod-tokens.js';
import { containerIdentity } from './pod-identity.js';
import type { PodIds } from './pod-ids.js';
import type { EventRecorder } from '../client/index.js';
import { buildPodStatus, type PodView } from './pod-status.js';
import { ContainerSlot } from './container-slot.js';
import { containerView, goDuration } from './container-view.js';
import { publishHostPorts } from './host-ports-publisher.js';
import { serviceEnv } from './service-env.js';
import type { PodSandbox, SandboxPod } from '../network/index.js';

/** Makes and removes pods' network sandboxes (`PodNetwork`). */
export interface SandboxProvider {
  setUp(pod: SandboxPod): Promise<PodSandbox>;
  tearDown(podUid: string): Promise<void>;
}
import type { ImagePuller } from './image-puller.js';

/** What every pod worker shares: the agent's runtime, client, clock and settings. */
export interface WorkerDeps {
  runtime: RuntimeSet;
  client: KubeClient;
  events: EventRecorder;
  clock: Clock;
  backoff: CrashBackoff;
  nodeName: string;
  hostIP: string;
  dataDir: string;
  /** Names of runtime classes this node serves (`process`, `runc`); `runtime` routes to them. */
  runtimeClasses: ReadonlySet<string>;
  /** Where pods reach the API server (`KUBERNETES_SERVICE_HOST`/`_PORT`). */
  apiServer?: { host: string; port: string };
  /** Id blocks of pods, when the agent runs them as their own users (it is root); absent: as itself. */
  podIds?: PodIds;
  /** Pods' network sandboxes, for a runtime that `needsSandbox`; set once the node's range is known. */
  sandboxes?: SandboxProvider;
  /** Pulls and unpacks images, for a runtime that `usesImages`; absent: images are display only. */
  images?: ImagePuller;
  onError: (err: unknown) => void;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * Runs one pod on this node, level-triggered: `sync()` compares the pod's spec with the
 * containers the runtime has and acts (start init containers in order, then the app containers,
 * restart per restartPolicy with CrashBackoff, stop everything when the pod is deleted), then
 * writes the pod's status when it changed. Syncs of one pod never overlap; a kick during a sync
 * runs another one after it. Container exits and probe verdicts kick the worker.
 */
export class PodWorker {
  pod: Pod;
  readonly slots = new Map<string, ContainerSlot>();
  private running = false;
  private loop: Promise<void> | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private lastWritten = '';
  private terminating: Promise<void> | undefined;
  private closed = false;
  private readonly startTime: string;
  private readonly tokens: PodTokens;
  private sandbox: PodSandbox | undefined;

  constructor(
    pod: Pod,
    private readonly deps: WorkerDeps,
  ) {
    this.pod = pod;
    this.startTime = pod.status?.startTime ?? iso(deps.clock.now());
    this.tokens = new PodTokens(deps.client, deps.clock);
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? '';
  }

  /** Re-attaches a container the runtime already runs (agent restart). */
  adopt(status: RtStatus): void {
    const name = status.spec.containerName;
    const init = status.spec.labels?.['stratus.dev/container-type'] === 'init';
    const slot = this.slots.get(name) ?? new ContainerSlot(name, init, this.deps.clock);
    slot.adopt(status);
    this.slots.set(name, slot);
    if (status.state === 'running') this.watchExit(status.id);
  }

  /** Asks for a sync; coalesces with one in progress. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    this.loop = (async () => {
      do {
        this.dirty = false;
        try {
          await this.sync();
        } catch (err) {
          this.deps.onError(err);
        }
      } while (this.dirty && !this.closed);
      this.running = false;
    })();
  }

  /** Resolves when no sync is in progress (after `close()`, none starts again). */
  async idle(): Promise<void> {
    await this.loop;
  }

  /** Stops reacting (the agent closes); containers keep running. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private later(ms: number): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(10, ms));
  }

  private watchExit(id: string): void {
    void this.deps.runtime.wait(id).then(
      () => this.kick(),
      () => undefined,
    );
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.deps.events.event(this.pod as KubeObject, type, reason, message);
  }

  private async refresh(): Promise<void> {
    for (const slot of this.slots.values()) {
      if (slot.id === undefined) continue;
      try {
        slot.status = await this.deps.runtime.status(slot.id);
      } catch {
        slot.status = undefined;
        slot.id = undefined;
      }
    }
  }

  private async sync(): Promise<void> {
    if (this.pod.metadata?.deletionTimestamp !== undefined) return this.terminate();
    await this.refresh();
    const spec = this.pod.spec;
    if (spec === undefined) return;
    const view: PodView = {
      init: [],
      containers: [],
      initialized: true,
      hostIP: this.deps.hostIP,
      startTime: this.startTime,
    };
    const rc = spec.runtimeClassName;
    if (rc !== undefined && rc !== null && !this.deps.runtimeClasses.has(rc)) {
      view.initialized = false;
      view.pendingMessage = {
        reason: 'RuntimeClassNotFound',
        message: `RuntimeClass "${rc}" not found: this node runs ${[...this.deps.runtimeClasses].join(', ')}`,
      };
      this.event('Warning', 'FailedCreatePodSandBox', view.pendingMessage.message);
    } else if (await this.ensureSandbox(view)) {
      if (this.sandbox !== undefined) view.podIP = this.sandbox.podIP;
      await this.syncContainers(view);
      await this.renewTokens();
    }
    // Without a sandbox (unknown runtime class) every container waits in ContainerCreating.
    const created = view.initialized || view.pendingMessage !== undefined;
    const runtime = this.runtimeName;
    view.init = (spec.initContainers ?? []).map((c) =>
      containerView(c, this.slots.get(c.name), { init: true, created, runtime }),
    );
    view.containers = spec.containers.map((c) =>
      containerView(c, this.slots.get(c.name), { init: false, created, runtime }),
    );
    // A pod with its own address is reached at podIP:containerPort, as in Kubernetes; host ports
    // (node address + port) are for pods without one (the process runtime).
    if (this.sandbox === undefined) {
      const published = await publishHostPorts(this.deps.client, this.pod, (c) => this.slots.get(c)?.ports);
      if (published !== undefined) this.pod = published;
    }
    await this.writeStatus(view);
  }

  /**
   * The pod's network sandbox, made once, when the runtime needs one; false (the pod waits in
   * ContainerCreating with the reason) while it cannot be made.
   */
  private async ensureSandbox(view: PodView): Promise<boolean> {
    if (!this.sandboxed || this.sandbox !== undefined) return true;
    const meta = this.pod.metadata ?? {};
    try {
      if (this.deps.sandboxes === undefined)
        throw new Error('this node has no pod network (no podCIDR yet, or not root)');
      this.sandbox = await this.deps.sandboxes.setUp({
        uid: this.uid,
        namespace: meta.namespace ?? 'default',
        name: meta.name ?? '',
        ...(this.pod.spec?.hostname ? { hostname: this.pod.spec.hostname } : {}),
        ...(this.pod.spec?.subdomain ? { subdomain: this.pod.spec.subdomain } : {}),
      });
      return true;
    } catch (err) {
      view.initialized = false;
      view.pendingMessage = {
        reason: 'ContainerCreating',
        message: `failed to create pod sandbox: ${(err as Error).message}`,
      };
      this.event('Warning', 'FailedCreatePodSandBox', view.pendingMessage.message);
      this.later(5000);
      return false;
    }
  }

  /**
   * The Services' variables for the pod's containers (none when the list fails: best effort).
   * `KUBERNETES_SERVICE_HOST`/`_PORT` are set after these (`apiServerFor`).
   */
  private async serviceEnv(): Promise<Record<string, string>> {
    const ns = this.pod.metadata?.namespace ?? 'default';
    const links = this.pod.spec?.enableServiceLinks ?? true;
    try {
      const own = links ? (await this.deps.client.list('services', { namespace: ns })).items : [];
      return serviceEnv(own as never[], ns, links);
    } catch {
      return {};
    }
  }

  /**
   * Where the pod reaches the API server (`KUBERNETES_SERVICE_HOST`/`_PORT`): in a sandbox,
   * 127.0.0.1 is the pod itself, so the `default/kubernetes` Service's ClusterIP and port, as
   * kubelet sets them from that Service; else (and while the Service is missing) the agent's own.
   */
  private async apiServerFor(): Promise<{ host: string; port: string } | undefined> {
    if (this.sandbox === undefined) return this.deps.apiServer;
    try {
      const svc = (await this.deps.client.get('services', 'kubernetes', { namespace: 'default' })) as {
        spec?: { clusterIP?: string; ports?: { port: number }[] };
      };
      const ip = svc.spec?.clusterIP;
      const port = svc.spec?.ports?.[0]?.port;
      if (ip !== undefined && ip !== '' && ip !== 'None' && port !== undefined)
        return { host: ip, port: String(port) };
    } catch {
      // no Service (yet): the agent's address
    }
    return this.deps.apiServer;
  }

  /** True when the pod's runtime puts its containers in a network sandbox (the pod's own address). */
  private get sandboxed(): boolean {
    return this.podRuntime?.needsSandbox === true;
  }

  /** The runtime the pod's `runtimeClassName` names (the node's default without one). */
  private get podRuntime(): Runtime | undefined {
    return this.deps.runtime.runtime(this.pod.spec?.runtimeClassName);
  }

  /** The runtime handler this pod runs on: its `runtimeClassName`, else the node's default. */
  private get runtimeName(): string {
    return this.pod.spec?.runtimeClassName ?? this.deps.runtime.name;
  }

  private async syncContainers(view: PodView): Promise<void> {
    const spec = this.pod.spec;
    if (spec === undefined) return;
    const policy = spec.restartPolicy ?? 'Always';
    for (const c of spec.initContainers ?? []) {
      const slot = this.slot(c.name, true);
      const st = slot.status;
      if (st?.state === 'exited' && st.exitCode === 0) continue;
      view.initialized = false;
      if (st?.state === 'running') return;
      if (st?.state === 'exited' && policy === 'Never') {
        view.failed = {
          reason: 'Failed',
          message: `init container "${c.name}" failed with exit code ${st.exitCode ?? -1}`,
        };
        return;
      }
      await this.startOrBackoff(c, slot, true);
      return;
    }
    for (const c of spec.containers) {
      const slot = this.slot(c.name, false);
      const st = slot.status;
      if (st?.state === 'running') continue;
      if (st?.state === 'exited') {
        const restart = policy === 'Always' || (policy === 'OnFailure' && st.exitCode !== 0);
        if (!restart) continue;
      }
      await this.startOrBackoff(c, slot, false);
    }
  }

  private slot(name: string, init: boolean): ContainerSlot {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = new ContainerSlot(name, init, this.deps.clock);
      this.slots.set(name, slot);
    }
    return slot;
  }

  private async startOrBackoff(c: Container, slot: ContainerSlot, init: boolean): Promise<void> {
    const key = `${this.uid}/${c.name}`;
    const backoff = this.deps.backoff;
    if (slot.status?.state === 'exited' && !slot.exitHandled) {
      slot.exitHandled = true;
      const first = backoff.currentDelayMs(key) === 0;
      backoff.recordExit(key, Date.parse(slot.status.startedAt));
      // As kubelet: the first crash restarts at once; back-off applies from the second one.
      slot.skipBackoff = first;
    }
    if (backoff.inBackoff(key) && !slot.skipBackoff) {
      const delay = goDuration(backoff.currentDelayMs(key));
      const msg = `back-off ${delay} restarting failed container=${c.name} pod=${this.pod.metadata?.name ?? ''}_${this.pod.metadata?.namespace ?? ''}(${this.uid})`;
      slot.waiting = { reason: 'CrashLoopBackOff', message: msg };
      this.event(
        'Warning',
        'BackOff',
        'Back-off restarting failed container ' + c.name + ' in pod ' + (this.pod.metadata?.name ?? ''),
      );
      this.later(backoff.remainingMs(key));
      return;
    }
    const unpackedImage = await this.pullImage(c, slot);
    if (unpackedImage === null) return;
    try {
      const onProcess = this.runtimeName === 'process';
      refuseUnsupportedSecurity(this.pod, c);
      if (onProcess) refuseOnProcess(this.pod, c);
      if (this.sandbox !== undefined) refuseHostPort(c);
      const { sources, volumePaths } = await this.prepareVolumes();
      // Pod users and the hidden data directory are the process runtime's isolation; runc has its own.
      const identity = onProcess ? this.identity(c) : undefined;
      const apiServer = await this.apiServerFor();
      const spec = await containerSpec(this.pod, c, {
        ...(identity !== undefined ? { identity } : {}),
        attempt: slot.nextAttempt(),
        sources,
        volumePaths,
        nodeName: this.deps.nodeName,
        hostIP: this.deps.hostIP,
        init,
        ...(this.sandbox !== undefined
          ? { ports: podPorts(c) }
          : slot.ports !== undefined
            ? { ports: slot.ports }
            : {}),
        ...(apiServer !== undefined ? { apiServer } : {}),
        ...(this.sandbox !== undefined ? { sandbox: this.sandbox, podIP: this.sandbox.podIP } : {}),
        serviceEnv: await this.serviceEnv(),
        ...(this.pod.spec?.runtimeClassName != null
          ? { runtimeClassName: this.pod.spec.runtimeClassName }
          : {}),
      });
      // Volumes belong to root and the pod's group (0750, files group-readable): a runc container
      // gets that group as a supplementary one, as fsGroup, so any user it runs as reads them.
      const block = this.deps.podIds?.blockOf(this.uid);
      if (!onProcess && block !== undefined) {
        const groups = [...(spec.security?.supplementalGroups ?? []), block];
        spec.security = { ...spec.security, supplementalGroups: groups };
      }
      if (unpackedImage !== undefined) spec.unpackedImage = unpackedImage;
      const id = await this.deps.runtime.start(spec);
      const previous = slot.id;
      slot.started(id, await this.deps.runtime.status(id), this.pod, c);
      if (previous !== undefined) await this.deps.runtime.remove(previous).catch(() => undefined);
      this.watchExit(id);
      this.event('Normal', 'Created', `Created container ${c.name}`);
      this.event('Normal', 'Started', `Started container ${c.name}`);
    } catch (err) {
      const config = hasCode(err, 'RUNTIME_CONTAINER_CONFIG');
      slot.waiting = {
        reason: config ? 'CreateContainerConfigError' : 'RunContainerError',
        message: (err as Error).message,
      };
      this.event('Warning', 'Failed', `Error: ${(err as Error).message}`);
      this.later(config ? 2000 : 5000);
    }
  }

  /**
   * For a runtime that uses images: the container's image, pulled as its policy says, or null
   * when the container waits (ErrImagePull, ImagePullBackOff, ErrImageNeverPull, with a retry).
   */
  private async pullImage(c: Container, slot: ContainerSlot): Promise<UnpackedImage | undefined | null> {
    const images = this.deps.images;
    if (images === undefined || this.podRuntime?.usesImages !== true) return undefined;
    const image = c.image ?? '';
    const started = this.deps.clock.now();
    const result = await images.ensure(this.pod, c).catch((err: Error) => ({
      waiting: { reason: 'ErrImagePull', message: `Failed to pull image "${image}": ${err.message}` },
      retryMs: 10_000,
      failedNow: true,
    }));
    if ('waiting' in result) {
      slot.waiting = result.waiting;
      if (result.failedNow) this.event('Warning', 'Failed', result.waiting.message);
      else this.event('Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.later(result.retryMs);
      return null;
    }
    if (slot.imageID !== result.imageID) {
      this.event(
        'Normal',
        'Pulled',
        `Container image "${image}" ready (${result.imageID}) in ${this.deps.clock.now() - started}ms`,
      );
    }
    slot.imageID = result.imageID;
    return result.image;
  }

  /** Reads the pod's ConfigMaps and Secrets, gets its tokens, and writes its volumes. */
  private async prepareVolumes(): Promise<{ sources: PodSources; volumePaths: Record<string, string> }> {
    if (this.tokens.due(this.pod)) await this.tokens.refresh(this.pod);
    const sources = await fetchPodSources(this.deps.client, this.pod);
    const block = this.deps.podIds?.blockOf(this.uid);
    const volumePaths = preparePodVolumes(this.pod, this.deps.dataDir, sources, {
      place: { nodeName: this.deps.nodeName, hostIP: this.deps.hostIP },
      token: (source) => this.tokens.token(source),
      ...(block !== undefined ? { gid: block } : {}),
    });
    return { sources, volumePaths };
  }

  /** Who a container runs as when the agent runs pods as their own users. */
  private identity(c: Container): { process: ProcessIdentity | undefined; home: string } | undefined {
    if (this.deps.podIds === undefined) return undefined;
    const podDir = dirname(podVolumesDir(this.deps.dataDir, this.uid));
    const block = this.deps.podIds.blockOf(this.uid);
    return { process: containerIdentity(this.pod, c, { block, podDir }), home: join(podDir, 'home') };
  }

  /** Renews the projected ServiceAccount tokens of a running pod before they expire. */
  private async renewTokens(): Promise<void> {
    const running = [...this.slots.values()].some((s) => s.status?.state === 'running');
    if (!running || !this.tokens.due(this.pod)) return;
    try {
      await this.prepareVolumes();
    } catch (err) {
      this.event(
        'Warning',
        'FailedMount',
        `Cannot renew the ServiceAccount token: ${(err as Error).message}`,
      );
    }
  }

  private async writeStatus(view: PodView): Promise<void> {
    const status = buildPodStatus(this.pod, view, iso(this.deps.clock.now()));
    const patch = { status: { ...status, reason: status.reason ?? null, message: status.message ?? null } };
    // Transition times only move when a condition's status does, so equal JSON means nothing changed.
    const key = JSON.stringify(patch);
    // A condition another writer changed (the node controller marks pods not Ready) changes the
    // transition time computed against it, so the key differs and the agent writes it back.
    if (key === this.lastWritten) return;
    const meta = this.pod.metadata ?? {};
    try {
      const updated = await this.deps.client.patch('pods', meta.name ?? '', patch, {
        namespace: meta.namespace ?? 'default',
        subresource: 'status',
      });
      this.lastWritten = key;
      if (updated.metadata.uid === this.uid) this.pod = updated as Pod;
    } catch (err) {
      if (err instanceof StatusError && err.status === 404) return;
      throw err;
    }
  }

  /** Stops every container (preStop, SIGTERM, grace, SIGKILL), then removes the pod for good. */
  terminate(): Promise<void> {
    this.terminating ??= this.doTerminate(true);
    return this.terminating;
  }

  /** The pod is gone from the API: stop and forget its containers without writing anything. */
  cleanup(): Promise<void> {
    this.terminating ??= this.doTerminate(false);
    return this.terminating;
  }

  private async doTerminate(deletePod: boolean): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const meta = this.pod.metadata ?? {};
    const grace = meta.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    const containers = new Map((this.pod.spec?.containers ?? []).map((c) => [c.name, c]));
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        if (slot.id === undefined) return;
        const running = (await this.deps.runtime.status(slot.id).catch(() => undefined))?.state === 'running';
        if (running) {
          if (deletePod) this.event('Normal', 'Killing', `Stopping container ${slot.name}`);
          const preStop = slot.preStop(containers.get(slot.name));
          await this.deps.runtime
            .stop(slot.id, { gracePeriodSeconds: grace, ...(preStop !== undefined ? { preStop } : {}) })
            .catch(() => undefined);
        }
        await this.deps.runtime.remove(slot.id).catch(() => undefined);
      }),
    );
    removePodVolumes(this.deps.dataDir, this.uid);
    if (this.sandboxed) await this.deps.sandboxes?.tearDown(this.uid).catch(this.deps.onError);
    this.sandbox = undefined;
    for (const slot of this.slots.values()) this.deps.backoff.forget(`${this.uid}/${slot.name}`);
    this.deps.images?.forget(this.uid);
    if (!deletePod) return;
    try {
      await this.deps.client.request('DELETE', podPath(this.pod), {
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          gracePeriodSeconds: 0,
          preconditions: { uid: this.uid },
        },
      });
    } catch (err) {
      if (!(err instanceof StatusError && (err.status === 404 || err.status === 409))) throw err;
    }
  }

  /** Runs due probes of running containers; kicks the worker when a verdict changes. */
  async probe(): Promise<void> {
    if (this.terminating !== undefined || this.closed) return;
    const containers = new Map((this.pod.spec?.containers ?? []).map((c) => [c.name, c]));
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        const c = containers.get(slot.name);
        if (c === undefined || slot.init || slot.status?.state !== 'running' || slot.id === undefined) return;
        const outcome = await slot.probe(this.deps.runtime);
        for (const failure of outcome.failures) this.event('Warning', 'Unhealthy', failure);
        if (outcome.kill !== undefined) {
          this.event('Normal', 'Killing', outcome.kill);
          const grace = this.pod.spec?.terminationGracePeriodSeconds ?? 30;
          const preStop = slot.preStop(c);
          await this.deps.runtime
            .stop(slot.id, { gracePeriodSeconds: grace, ...(preStop !== undefined ? { preStop } : {}) })
            .catch(() => undefined);
        }
        if (outcome.changed) this.kick();
      }),
    );
  }
}

/**
 * A sandboxed pod's ports are its own address's: each containerPort maps to itself, so probes and
 * hooks naming a port reach podIP:containerPort and no host port is taken.
 */
function podPorts(c: Container): PortMapping[] {
  return (c.ports ?? []).map((p) => {
    const out: PortMapping = { containerPort: p.containerPort, hostPort: p.containerPort };
    if (p.name !== undefined) out.name = p.name;
    if (p.protocol === 'TCP' || p.protocol === 'UDP' || p.protocol === 'SCTP') out.protocol = p.protocol;
    return out;
  });
}

/**
 * `hostPort` on the pod network would need the CNI portmap plugin's DNAT, which Stratus does not
 * have yet: refused with a config error rather than silently unreachable.
 */
function refuseHostPort(c: Container): void {
  const p = (c.ports ?? []).find((x) => x.hostPort !== undefined && x.hostPort !== 0);
  if (p !== undefined)
    throw containerConfigError(
      `container "${c.name}" asks for hostPort ${p.hostPort}, which pods on the pod network do not support yet (no portmap): use a Service (NodePort or LoadBalancer) instead`,
    );
}

/** The API path of a pod. */
export function podPath(pod: Pod): string {
  return `/api/v1/namespaces/${pod.metadata?.namespace ?? 'default'}/pods/${pod.metadata?.name ?? ''}`;
}
