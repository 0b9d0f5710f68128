/**
 * The `haproxy` data plane (as OpenStack Octavia drives HAProxy): HTTP listeners run in one
 * HAProxy 2.6; endpoint changes (address, port, weight, ready/draining) are Runtime API
 * commands on the admin socket, diffed against what was last applied; a change of listeners
 * or options, or a backend outgrowing its slots, writes a new configuration and reloads
 * seamlessly. TCP and UDP listeners are not for this driver (the node data plane serves them).
 * With a `router` (an Ingress front, `haproxy-router.ts`) the listeners it names are its
 * backends (port 0, no frontend of their own); a change of its rules swaps the route map
 * through the Runtime API, a change of its ports or certificates reloads.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessLog } from '../access-log.js';
import { hash32 } from '../balancing/hash.js';
import type { BoundAddress, DataPlane } from '../data-plane.js';
import { routableEndpoints } from '../endpoint-pool.js';
import { configInvalid, dataPlaneClosed, dataPlaneUnavailable } from '../errors.js';
import { normalizeConfig, type Listener, type ProxyConfig } from '../proxy-config.js';
import type { ListenerStats } from '../traffic-stats.js';
import {
  proxyName,
  renderConfig,
  routedListeners,
  slotWeight,
  type HaproxyConfigOptions,
} from './haproxy-config.js';
import {
  certificateFiles,
  ROUTE_MAP,
  routeEntries,
  routeMapText,
  type RouterConfig,
} from './haproxy-router.js';
import { HaproxyLogReceiver } from './haproxy-log.js';
import { findHaproxy, haproxyVersion, HaproxyProcess } from './haproxy-process.js';
import { listenerStatsFromRows, parseStatCsv } from './haproxy-stats.js';
import { runtimeBatch, runtimeCommand } from './runtime-api.js';
import { SlotTable } from './slot-table.js';

/** Options of HaproxyDataPlane.start. */
export interface HaproxyDataPlaneOptions {
  /** HAProxy threads; default 2. */
  threads?: number;
  /** Append a JSON line per request to this file (and keep latency histograms). */
  accessLogPath?: string;
  /** How long old processes may finish their connections after a reload or close; default 30 s. */
  drainMs?: number;
  /** The HAProxy binary; default: found on PATH or in /usr/sbin. */
  binary?: string;
}

/** A configuration of the haproxy data plane: listeners, and optionally a router in front of some. */
export interface HaproxyConfig extends ProxyConfig {
  router?: RouterConfig | undefined;
}

/** What a slot was last set to through the Runtime API. */
interface SlotState {
  address: string;
  port: number;
  weight: number;
  ready: boolean;
}

/** See the file comment. */
export class HaproxyDataPlane implements DataPlane {
  readonly driver = 'haproxy';
  private listeners: Listener[] = [];
  private readonly slots = new Map<string, SlotTable>();
  private readonly applied = new Map<string, Map<number, SlotState>>();
  private structure = '';
  private routes = '';
  private serial: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly process: HaproxyProcess,
    private readonly dir: string,
    private readonly configOptions: HaproxyConfigOptions,
    private readonly logs: HaproxyLogReceiver | undefined,
    private readonly drainMs: number,
  ) {}

  /** Checks that HAProxy 2.6+ is installed and prepares its folder; HAProxy starts on first apply. */
  static async start(options: HaproxyDataPlaneOptions = {}): Promise<HaproxyDataPlane> {
    const binary = options.binary ?? findHaproxy();
    if (binary === undefined)
      throw dataPlaneUnavailable('haproxy', 'HAProxy is not installed (Debian package haproxy)');
    haproxyVersion(binary);
    const dir = await mkdtemp(join(tmpdir(), 'stratus-haproxy-'));
    const logs =
      options.accessLogPath === undefined
        ? undefined
        : await HaproxyLogReceiver.start(new AccessLog(options.accessLogPath));
    const drainMs = options.drainMs ?? 30_000;
    const configOptions: HaproxyConfigOptions = {
      dir,
      threads: options.threads ?? 2,
      cookieKey: hash32(dir).toString(16),
      hardStopAfterMs: drainMs,
      logPort: logs?.port,
    };
    return new HaproxyDataPlane(new HaproxyProcess(binary, dir), dir, configOptions, logs, drainMs);
  }

  apply(config: HaproxyConfig): Promise<void> {
    if (this.closed) return Promise.reject(dataPlaneClosed(this.driver));
    const listeners = normalizeConfig(config);
    const routed = routedListeners(config.router);
    const names = new Set(listeners.map((l) => l.name));
    listeners.forEach((l, i) => {
      if (l.protocol !== 'http') {
        throw configInvalid(`listeners[${i}].protocol`, 'the haproxy data plane serves http listeners only');
      }
      if (l.port === 0 && !routed.has(l.name))
        throw configInvalid(`listeners[${i}].port`, 'the haproxy data plane needs a port other than 0');
    });
    for (const name of routed) {
      if (!names.has(name)) throw configInvalid('router.rules', `no listener is named "${name}"`);
    }
    const router = config.router;
    if (router !== undefined && (router.httpPort === 0 || router.httpsPort === 0))
      throw configInvalid('router', 'the haproxy data plane needs ports other than 0');
    const run = this.serial.then(() => this.applyNow(listeners, router));
    this.serial = run.catch(() => undefined);
    return run;
  }

  bound(listener: string): BoundAddress | undefined {
    const l = this.listeners.find((x) => x.name === listener);
    return l === undefined ? undefined : { address: l.address, port: l.port };
  }

  async stats(): Promise<ListenerStats[]> {
    if (!this.process.running) return listenerStatsFromRows(this.listeners, this.slots, []);
    const csv = await runtimeCommand(this.process.adminSocket, ['show stat']);
    const stats = listenerStatsFromRows(this.listeners, this.slots, parseStatCsv(csv));
    this.logs?.addLatencies(stats);
    return stats;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.serial;
    await this.process.stop(this.drainMs);
    await this.logs?.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async applyNow(listeners: Listener[], router: RouterConfig | undefined): Promise<void> {
    const tables = new Map<string, SlotTable>();
    for (const l of listeners) {
      const table = this.slots.get(l.name) ?? new SlotTable(l.endpoints.length);
      table.assign(l.endpoints.map((e) => e.id));
      tables.set(l.name, table);
    }
    const options = { ...this.configOptions, router };
    const structure = renderConfig(listeners, tables, options, false);
    const routes = router === undefined ? [] : routeEntries(router, (l) => `b_${proxyName(l)}`);
    const routesText = routeMapText(routes);
    if (!this.process.running || structure !== this.structure) {
      const baked = renderConfig(listeners, tables, options, true);
      await this.writeRouterFiles(router, routesText);
      await this.process.check(baked);
      if (this.process.running) await this.process.reload(baked);
      else await this.process.start(baked);
      this.structure = structure;
      this.routes = routesText;
      this.applied.clear();
      for (const l of listeners)
        this.applied.set(l.name, this.bakedState(l, tables.get(l.name) as SlotTable));
    } else {
      try {
        await runtimeBatch(this.process.adminSocket, this.commands(listeners, tables));
        if (routesText !== this.routes) {
          await this.swapRoutes(routes);
          this.routes = routesText;
        }
      } catch (err) {
        // What HAProxy holds is unknown now: the next apply reloads from a baked configuration.
        this.structure = '';
        throw err;
      }
    }
    this.slots.clear();
    for (const [name, t] of tables) this.slots.set(name, t);
    this.listeners = listeners;
    this.logs?.follow(listeners, tables);
  }

  /** Writes the route map and the certificate files a configuration with `router` names. */
  private async writeRouterFiles(router: RouterConfig | undefined, routes: string): Promise<void> {
    await writeFile(join(this.dir, ROUTE_MAP), routes, { mode: 0o600 });
    if (router === undefined) return;
    await mkdir(join(this.dir, 'certs'), { recursive: true, mode: 0o700 });
    for (const f of certificateFiles(router, this.dir).files)
      await writeFile(join(this.dir, f.name), f.content, { mode: 0o600 });
  }

  /**
   * Replaces the route map's entries in one step (a new version filled, then committed), and
   * its file, so that a later reload starts with the same routes.
   */
  private async swapRoutes(routes: ReadonlyArray<[string, string]>): Promise<void> {
    const map = join(this.dir, ROUTE_MAP);
    const prepared = await runtimeCommand(this.process.adminSocket, [`prepare map ${map}`]);
    const version = /New version created: (\d+)/.exec(prepared)?.[1];
    if (version === undefined) throw new Error(`HAProxy refused prepare map: ${prepared.trim()}`);
    await runtimeBatch(this.process.adminSocket, [
      ...routes.map(([k, v]) => `add map @${version} ${map} ${k} ${v}`),
      `commit map @${version} ${map}`,
    ]);
    await writeFile(map, routeMapText(routes), { mode: 0o600 });
  }

  /** The state a baked configuration starts each slot in. */
  private bakedState(l: Listener, table: SlotTable): Map<number, SlotState> {
    const routable = new Set(routableEndpoints(l.endpoints).map((e) => e.id));
    const state = new Map<number, SlotState>();
    for (const e of l.endpoints) {
      const slot = table.slotOf(e.id) as number;
      state.set(slot, {
        address: e.address,
        port: e.port,
        weight: slotWeight(l, e),
        ready: routable.has(e.id),
      });
    }
    return state;
  }

  /** Runtime API commands that take every slot from its applied state to the wanted one. */
  private commands(listeners: readonly Listener[], tables: ReadonlyMap<string, SlotTable>): string[] {
    const out: string[] = [];
    for (const l of listeners) {
      const table = tables.get(l.name) as SlotTable;
      const backend = `b_${proxyName(l.name)}`;
      const before = this.applied.get(l.name) ?? new Map<number, SlotState>();
      const after = this.bakedState(l, table);
      const checks = l.healthCheck !== undefined || l.passiveHealth !== undefined;
      for (let slot = 1; slot <= table.capacity; slot++) {
        const was = before.get(slot);
        const now = after.get(slot);
        const server = `${backend}/s${slot}`;
        if (now === undefined) {
          if (was?.ready === true) out.push(`set server ${server} state maint`);
          continue;
        }
        if (was === undefined || was.address !== now.address || was.port !== now.port) {
          if (was?.ready === true) out.push(`set server ${server} state maint`);
          out.push(`set server ${server} addr ${now.address} port ${now.port}`);
        }
        if (was?.weight !== now.weight) out.push(`set server ${server} weight ${now.weight}`);
        const moved = was === undefined || was.address !== now.address || was.port !== now.port;
        if (now.ready && (moved || !was.ready)) {
          out.push(`set server ${server} state ready`);
          if (checks) out.push(`enable health ${server}`);
        }
        if (!now.ready && was?.ready === true && !moved) out.push(`set server ${server} state maint`);
      }
      this.applied.set(l.name, after);
    }
    return out;
  }
}
