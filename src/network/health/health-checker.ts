/**
 * Active health checks of every endpoint of every listener that has them: an HTTP GET of the
 * path (2xx and 3xx pass) or a TCP connect, every `intervalMs`, each bounded by `timeoutMs`,
 * one at a time per endpoint. Verdicts go through HealthState (rise/fall); only changes are
 * reported, and the data plane passes them to every thread.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Endpoint, HealthCheckConfig, Listener } from '../proxy-config.js';
import { HealthState } from './health-state.js';

type Check = Required<HealthCheckConfig>;

interface Target {
  key: string;
  state: HealthState;
  timer: NodeJS.Timeout;
  busy: boolean;
}

/** Runs one check; resolves true when it passed. */
export function runCheck(endpoint: Pick<Endpoint, 'address' | 'port'>, check: Check): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (passed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(passed);
    };
    const timer = setTimeout(() => {
      done(false);
      destroy();
    }, check.timeoutMs);
    let destroy: () => void;
    if (check.type === 'tcp') {
      const socket = connect({ host: endpoint.address, port: endpoint.port });
      destroy = () => socket.destroy();
      socket.once('connect', () => {
        done(true);
        socket.destroy();
      });
      socket.once('error', () => done(false));
      return;
    }
    const req = request(
      { host: endpoint.address, port: endpoint.port, path: check.path, agent: false },
      (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        done(status >= 200 && status < 400);
        req.destroy();
      },
    );
    destroy = () => req.destroy();
    req.once('error', () => done(false));
    req.end();
  });
}

/** See the file comment. */
export class HealthChecker {
  private readonly targets = new Map<string, Target>();

  constructor(private readonly onChange: (listener: string, endpointId: string, healthy: boolean) => void) {}

  /** Follows a new configuration: checks start for new endpoints and stop for gone ones. */
  update(listeners: readonly Listener[]): void {
    const wanted = new Set<string>();
    for (const l of listeners) {
      const check = l.healthCheck;
      if (check === undefined) continue;
      for (const e of l.endpoints) {
        const key = JSON.stringify([l.name, e.id, e.address, e.port, check]);
        wanted.add(key);
        if (!this.targets.has(key)) this.start(key, l.name, e, check);
      }
    }
    for (const [key, t] of this.targets) {
      if (wanted.has(key)) continue;
      clearInterval(t.timer);
      this.targets.delete(key);
    }
  }

  private start(key: string, listener: string, endpoint: Endpoint, check: Check): void {
    const state = new HealthState(check.rise, check.fall);
    const target: Target = { key, state, busy: false, timer: setInterval(() => tick(), check.intervalMs) };
    target.timer.unref();
    const tick = (): void => {
      if (target.busy) return;
      target.busy = true;
      void runCheck(endpoint, check).then((passed) => {
        target.busy = false;
        if (this.targets.get(key) !== target) return;
        if (state.record(passed)) this.onChange(listener, endpoint.id, state.up);
      });
    };
    this.targets.set(key, target);
  }

  close(): void {
    for (const t of this.targets.values()) clearInterval(t.timer);
    this.targets.clear();
  }
}
