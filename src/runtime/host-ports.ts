import { createServer } from 'node:net';
import { noHostPort } from './errors.js';
import type { PortMapping } from './runtime.js';

/**
 * Finds `count` free TCP ports on 127.0.0.1 by binding port 0 and releasing it, the way PaaS
 * platforms hand out `PORT`. All probe servers stay open until every port is found, so the ports
 * are distinct; another program may still take one before the container binds it, which the
 * container then reports as a crash and the restart policy retries.
 */
export async function allocateHostPorts(count: number, options: { host?: string } = {}): Promise<number[]> {
  const host = options.host ?? '127.0.0.1';
  const servers = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => {
          const addr = server.address();
          if (addr === null || typeof addr === 'string') reject(noHostPort('no TCP address to bind'));
          else resolve(addr.port);
        });
      });
      ports.push(port);
    }
    return ports;
  } catch (err) {
    throw noHostPort(`Cannot allocate ${count} host ports on ${host}: ${(err as Error).message}`);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => (s.listening ? s.close(() => r()) : r()))));
  }
}

/**
 * Gives each declared container port a host port: `hostPort` when the pod asks for one, a free
 * port otherwise.
 */
export async function mapContainerPorts(
  ports: readonly { name?: string; containerPort: number; hostPort?: number; protocol?: string }[],
): Promise<PortMapping[]> {
  const free = await allocateHostPorts(
    ports.filter((p) => p.hostPort === undefined || p.hostPort === 0).length,
  );
  return ports.map((p) => {
    const hostPort = p.hostPort !== undefined && p.hostPort !== 0 ? p.hostPort : free.shift();
    if (hostPort === undefined) throw noHostPort('host port allocation came up short');
    const out: PortMapping = { containerPort: p.containerPort, hostPort };
    if (p.name !== undefined) out.name = p.name;
    if (p.protocol === 'TCP' || p.protocol === 'UDP' || p.protocol === 'SCTP') out.protocol = p.protocol;
    return out;
  });
}

/**
 * The environment the `process` runtime adds for ports: `PORT` is the first port's host port and
 * `PORT_<NAME>` each named port's, uppercased with `-` as `_` (`metrics-http` → `PORT_METRICS_HTTP`).
 */
export function portEnv(ports: readonly PortMapping[]): Record<string, string> {
  const env: Record<string, string> = {};
  const first = ports[0];
  if (first !== undefined) env['PORT'] = String(first.hostPort);
  for (const p of ports) {
    if (p.name !== undefined && p.name !== '')
      env[`PORT_${p.name.toUpperCase().replace(/-/g, '_')}`] = String(p.hostPort);
  }
  return env;
}
