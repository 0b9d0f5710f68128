/**
 * One listener's view of its endpoints in one thread: which may take a new request (ready, not
 * terminating, healthy, not ejected, weight > 0, under the connection limit), their slow-start
 * weights, persistence, and the algorithm's choice among them. Pure: in-flight counts and the
 * source-affinity table are given (shared memory across threads in the node data plane), time
 * comes from a Clock.
 */
import type { Clock } from '../common/clock.js';
import type { Balancer, Candidate } from './balancing/balancer.js';
import { createBalancer, type BalancerOptions } from './balancing/create-balancer.js';
import { hash32 } from './balancing/hash.js';
import { slowStartWeight } from './balancing/slow-start.js';
import { PassiveHealth } from './health/passive-health.js';
import type { Endpoint, Listener } from './proxy-config.js';

/** In-flight requests (L7) or connections (L4) per endpoint, possibly shared between threads. */
export interface ActiveCounts {
  get(endpointId: string): number;
  add(endpointId: string, delta: number): void;
}

/**
 * Source-address persistence: the endpoint a client was last sent to (as `hash32` of its id,
 * so that the table fits in shared integer memory), until it expires.
 */
export interface AffinityStore {
  get(key: string, nowMs: number): number | undefined;
  set(key: string, endpointHash: number, expiresMs: number): void;
}

/** What the pool knows of a request when choosing. */
export interface PoolRequest {
  /** The hash key (address, header or cookie value) for the hashing algorithms. */
  key?: string | undefined;
  /** The client's address, for source persistence. */
  clientAddress?: string | undefined;
  /** The persistence cookie's value, when the client sent one. */
  cookie?: string | undefined;
  /** Endpoints this request already failed on. */
  exclude?: ReadonlySet<string> | undefined;
}

/** The pool's answer: an endpoint, or why there is none. */
export type PoolChoice =
  { endpoint: Endpoint; persisted: boolean } | { endpoint: undefined; reason: 'no-endpoint' | 'full' };

/** The endpoints that may take new traffic: ready and not terminating, else serving terminating ones. */
export function routableEndpoints(endpoints: readonly Endpoint[]): Endpoint[] {
  const ready = endpoints.filter((e) => e.ready && !e.terminating && e.weight > 0);
  return ready.length > 0 ? ready : endpoints.filter((e) => e.serving && e.weight > 0);
}

/** The persistence cookie's value for an endpoint: opaque, stable, the same in every thread. */
export function persistenceCookie(listener: string, endpointId: string): string {
  return hash32(`${listener}/${endpointId}`).toString(16).padStart(8, '0');
}

/** Options of EndpointPool. */
export interface EndpointPoolOptions extends BalancerOptions {
  clock: Clock;
  counts: ActiveCounts;
  affinity?: AffinityStore;
}

/** The choosing side of one listener (see the file comment). */
export class EndpointPool {
  private listener!: Listener;
  private balancer!: Balancer;
  private byId = new Map<string, Endpoint>();
  private byCookie = new Map<string, Endpoint>();
  private byHash = new Map<number, Endpoint>();
  private routable: Endpoint[] = [];
  private routableIds = new Set<string>();
  /** When each endpoint joined or came back healthy: the start of its slow start. */
  private readonly since = new Map<string, number>();
  private readonly unhealthy = new Set<string>();
  private passive: PassiveHealth | undefined;
  private first = true;

  constructor(
    listener: Listener,
    private readonly options: EndpointPoolOptions,
  ) {
    this.update(listener);
  }

  /** The listener as last applied. */
  get config(): Listener {
    return this.listener;
  }

  /** Applies a new version of the listener; endpoint state (health, ejection) carries over by id. */
  update(listener: Listener): void {
    const old = this.listener;
    this.listener = listener;
    if (old === undefined || old.algorithm !== listener.algorithm) {
      this.balancer = createBalancer(listener.algorithm, this.options);
    }
    const ph = listener.passiveHealth;
    if (ph === undefined) this.passive = undefined;
    else if (this.passive === undefined || JSON.stringify(old?.passiveHealth) !== JSON.stringify(ph)) {
      this.passive = new PassiveHealth(ph, this.options.clock);
    }
    const now = this.options.clock.now();
    this.byId = new Map(listener.endpoints.map((e) => [e.id, e]));
    this.byCookie = new Map(listener.endpoints.map((e) => [persistenceCookie(listener.name, e.id), e]));
    this.byHash = new Map(listener.endpoints.map((e) => [hash32(e.id), e]));
    for (const e of listener.endpoints)
      if (!this.since.has(e.id)) this.since.set(e.id, this.first ? -Infinity : now);
    const ids = new Set(this.byId.keys());
    for (const id of this.since.keys()) if (!ids.has(id)) this.since.delete(id);
    for (const id of this.unhealthy) if (!ids.has(id)) this.unhealthy.delete(id);
    this.passive?.retain(ids);
    this.routable = routableEndpoints(listener.endpoints);
    this.routableIds = new Set(this.routable.map((e) => e.id));
    this.first = false;
  }

  endpoint(id: string): Endpoint | undefined {
    return this.byId.get(id);
  }

  /** Sets an endpoint's active-check verdict; coming back starts its slow start. */
  setHealthy(id: string, healthy: boolean): void {
    if (healthy && this.unhealthy.delete(id)) this.since.set(id, this.options.clock.now());
    if (!healthy) this.unhealthy.add(id);
  }

  /** Records a failed attempt; returns the end of the rest when it ejected the endpoint. */
  failure(id: string): number | undefined {
    const until = this.passive?.failure(id);
    if (until !== undefined) this.since.set(id, until);
    return until;
  }

  success(id: string): void {
    this.passive?.success(id);
  }

  /** Applies an ejection decided elsewhere (another thread). */
  eject(id: string, untilMs: number): void {
    this.passive?.eject(id, untilMs);
    this.since.set(id, untilMs);
  }

  /** The endpoint's state for explain: serving, draining, unhealthy or ejected. */
  state(id: string): 'serving' | 'draining' | 'unhealthy' | 'ejected' | 'removed' {
    const e = this.byId.get(id);
    if (e === undefined) return 'removed';
    if (!this.routableIds.has(id)) return 'draining';
    if (this.unhealthy.has(id)) return 'unhealthy';
    if (this.passive?.isEjected(id) === true) return 'ejected';
    return 'serving';
  }

  /** True when the endpoint may take a new request now (the connection limit aside). */
  private usable(e: Endpoint): boolean {
    return !this.unhealthy.has(e.id) && this.passive?.isEjected(e.id) !== true;
  }

  /** Chooses the endpoint for a new request or connection (see PoolRequest). */
  choose(request: PoolRequest = {}): PoolChoice {
    const { counts, clock, affinity } = this.options;
    const limit = this.listener.maxConnectionsPerEndpoint;
    const exclude = request.exclude;
    const open = (e: Endpoint): boolean =>
      this.usable(e) && exclude?.has(e.id) !== true && (limit === 0 || counts.get(e.id) < limit);
    const pinned = this.pinned(request);
    if (pinned !== undefined && open(pinned)) return { endpoint: pinned, persisted: true };
    const now = clock.now();
    const candidates: Candidate[] = [];
    let full = false;
    for (const e of this.routable) {
      if (!this.usable(e) || exclude?.has(e.id) === true) continue;
      const active = counts.get(e.id);
      if (limit !== 0 && active >= limit) {
        full = true;
        continue;
      }
      const weight = slowStartWeight(
        e.weight,
        this.since.get(e.id) ?? -Infinity,
        now,
        this.listener.slowStartMs,
      );
      candidates.push({ id: e.id, weight, active });
    }
    const chosen = this.balancer.pick(candidates, { key: request.key });
    if (chosen === undefined) return { endpoint: undefined, reason: full ? 'full' : 'no-endpoint' };
    const endpoint = this.byId.get(chosen.id) as Endpoint;
    const p = this.listener.persistence;
    if (p?.type === 'source' && affinity !== undefined && request.clientAddress !== undefined) {
      affinity.set(`${this.listener.name} ${request.clientAddress}`, hash32(endpoint.id), now + p.timeoutMs);
    }
    return { endpoint, persisted: false };
  }

  /** The endpoint persistence names for this request, if it may still take it. */
  private pinned(request: PoolRequest): Endpoint | undefined {
    const p = this.listener.persistence;
    if (p === undefined) return undefined;
    let e: Endpoint | undefined;
    if (p.type === 'cookie' && request.cookie !== undefined) e = this.byCookie.get(request.cookie);
    if (p.type === 'source' && request.clientAddress !== undefined && this.options.affinity !== undefined) {
      const key = `${this.listener.name} ${request.clientAddress}`;
      const h = this.options.affinity.get(key, this.options.clock.now());
      e = h === undefined ? undefined : this.byHash.get(h);
      if (e !== undefined)
        this.options.affinity.set(key, h as number, this.options.clock.now() + p.timeoutMs);
    }
    return e !== undefined && this.routableIds.has(e.id) ? e : undefined;
  }
}
