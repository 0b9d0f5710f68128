import type { Container, LifecycleHandler, Probe } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../common/quantity.js';
import { containerConfigError } from './errors.js';
import type { Handler, PortMapping, ResourceLimits } from './runtime.js';

/**
 * A container's `resources.limits` as plain numbers (bytes of memory, cores of CPU), or undefined
 * when it sets neither; requests are the scheduler's business, not the runtime's.
 */
export function containerLimits(container: Container): ResourceLimits | undefined {
  const limits = container.resources?.limits ?? {};
  const out: ResourceLimits = {};
  const memory = limits['memory'] === undefined ? undefined : parseQuantity(limits['memory']);
  const cpu = limits['cpu'] === undefined ? undefined : parseQuantity(limits['cpu']);
  if (memory !== undefined && memory > 0) out.memoryBytes = memory;
  if (cpu !== undefined && cpu > 0) out.cpuCores = cpu;
  return out.memoryBytes === undefined && out.cpuCores === undefined ? undefined : out;
}

function hostPort(port: number | string, ports: readonly PortMapping[], what: string): number {
  if (typeof port === 'string' && !/^\d+$/.test(port)) {
    const named = ports.find((p) => p.name === port);
    if (named === undefined) throw containerConfigError(`${what}: no container port named "${port}"`);
    return named.hostPort;
  }
  const n = Number(port);
  // A declared containerPort maps to its host port; an undeclared number is probed as written.
  return ports.find((p) => p.containerPort === n)?.hostPort ?? n;
}

/**
 * Turns a Kubernetes probe or lifecycle handler into the runtime's resolved `Handler`: a named or
 * numbered container port becomes the host port the runtime gave it, so probes reach a `process`
 * container on 127.0.0.1 at its `PORT`. gRPC probes are a config error (not supported yet).
 */
export function resolveHandler(
  handler: Probe | LifecycleHandler,
  ports: readonly PortMapping[],
  what = 'probe',
): Handler {
  if (handler.exec !== undefined) return { exec: { command: handler.exec.command ?? [] } };
  if (handler.httpGet !== undefined) {
    const h = handler.httpGet;
    const out: Handler = { httpGet: { port: hostPort(h.port, ports, what), path: h.path ?? '/' } };
    if (h.host !== undefined) out.httpGet.host = h.host;
    if (h.scheme === 'HTTPS') out.httpGet.scheme = 'HTTPS';
    if (h.httpHeaders !== undefined)
      out.httpGet.headers = h.httpHeaders.map(({ name, value }) => ({ name, value }));
    return out;
  }
  if (handler.tcpSocket !== undefined) {
    const out: Handler = { tcpSocket: { port: hostPort(handler.tcpSocket.port, ports, what) } };
    if (handler.tcpSocket.host !== undefined) out.tcpSocket.host = handler.tcpSocket.host;
    return out;
  }
  if ('sleep' in handler && handler.sleep !== undefined) return { sleep: { seconds: handler.sleep.seconds } };
  throw containerConfigError(
    `${what}: no supported handler (exec, httpGet, tcpSocket${'sleep' in handler ? ', sleep' : ''})`,
  );
}
