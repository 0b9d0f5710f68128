import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { KubeObject } from '../common/kube-object.js';
import type { ApiDeps } from './api-context.js';
import { badRequest, nodeUnreachable, notFound, podStreamFailed } from './errors.js';
import { agentRequest, agentTarget, pickContainer, readError } from './pod-log.js';
import type { ResourceRequest } from './resource-request.js';

/** The streaming subresources of a pod. */
export type PodStreamKind = 'exec' | 'attach' | 'portforward';

/** The bytes a client sent after its upgrade request's headers, by request (see `handlePodStream`). */
const heads = new WeakMap<IncomingMessage, Buffer>();

/** Keeps what arrived after the headers of an upgrade request, for the tunnel to pass on. */
export function rememberUpgradeHead(req: IncomingMessage, head: Buffer): void {
  if (head.length > 0) heads.set(req, head);
}

/** Headers of the client's upgrade request that the agent needs to complete it. */
const PASSED = [
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'x-stream-protocol-version',
];

function checkRunning(pod: KubeObject, name: string, container: string | undefined): void {
  const status = (pod['status'] ?? {}) as {
    phase?: string;
    containerStatuses?: { name?: string; state?: { running?: unknown; waiting?: { reason?: string } } }[];
  };
  if (status.phase === 'Succeeded' || status.phase === 'Failed')
    throw badRequest(`cannot exec into a container in a completed pod; current phase is ${status.phase}`);
  if (container === undefined) return;
  const cs = (status.containerStatuses ?? []).find((c) => c.name === container);
  if (cs?.state?.running === undefined) {
    const reason = cs?.state?.waiting?.reason ?? 'ContainerCreating';
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`);
  }
}

/**
 * `pods/{name}/exec`, `attach` and `portforward`: the user is already authorized (`create` on the
 * subresource); this checks the pod and container, opens the same upgrade to the agent of the
 * pod's node (its `/exec/NS/POD/CONTAINER`, `/attach/…`, `/portForward/NS/POD`, with the node's
 * secret, as `pods/log`), relays the agent's `101 Switching Protocols`, and then only copies bytes
 * both ways, as kube-apiserver's upgrade-aware proxy to kubelet does: the WebSocket or SPDY
 * session is the agent's. An agent that refuses the upgrade gets its answer quoted in a Status.
 */
export async function handlePodStream(deps: ApiDeps, r: ResourceRequest, kind: PodStreamKind): Promise<void> {
  const client = r.res.socket;
  if (r.req.headers.upgrade === undefined || client === null) throw badRequest('Upgrade request required');
  const name = r.name ?? '';
  const pod = await deps.store.get('pods', r.namespace, name);
  if (pod === undefined) throw notFound('pods', name, { name, kind: 'pods' });
  const container = kind === 'portforward' ? undefined : pickContainer(pod, name, r.query.get('container'));
  checkRunning(pod, name, container);
  const nodeName = ((pod['spec'] ?? {}) as { nodeName?: string }).nodeName;
  if (nodeName === undefined || nodeName === '')
    throw badRequest(`pod "${name}" is not yet scheduled to a node`);
  const target = await agentTarget(deps, nodeName);
  const ns = encodeURIComponent(r.namespace);
  const pn = encodeURIComponent(name);
  const path =
    container === undefined
      ? `/portForward/${ns}/${pn}?${r.query.toString()}`
      : `/${kind}/${ns}/${pn}/${encodeURIComponent(container)}?${r.query.toString()}`;
  const headers: Record<string, string> = { authorization: `Bearer ${target.token}`, connection: 'Upgrade' };
  for (const h of PASSED) {
    const v = r.req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const timeoutMs = deps.podLogTimeoutMs ?? 10_000;
  const upstream = await new Promise<{ res: IncomingMessage; socket?: Socket; head?: Buffer }>(
    (resolve, reject) => {
      const out = agentRequest(target, { path, method: 'GET', headers });
      const timer = setTimeout(
        () => out.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      out.on('upgrade', (res, socket, head) => {
        clearTimeout(timer);
        resolve({ res, socket, head });
      });
      out.on('response', (res) => {
        clearTimeout(timer);
        resolve({ res });
      });
      out.on('error', (err) => {
        clearTimeout(timer);
        reject(nodeUnreachable(nodeName, err.message));
      });
      client.once('close', () => out.destroy());
      out.end();
    },
  );
  if (upstream.socket === undefined) {
    const code = upstream.res.statusCode ?? 500;
    throw podStreamFailed(code, await readError(upstream.res));
  }
  const agent = upstream.socket;
  const lines = ['HTTP/1.1 101 Switching Protocols'];
  const raw = upstream.res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i] ?? ''}: ${raw[i + 1] ?? ''}`);
  client.write(`${lines.join('\r\n')}\r\n\r\n`);
  // For the audit log and metrics, which read the response when the connection closes.
  r.res.statusCode = 101;
  if (upstream.head !== undefined && upstream.head.length > 0) client.write(upstream.head);
  const head = heads.get(r.req);
  if (head !== undefined) agent.write(head);
  agent.on('error', () => client.destroy());
  client.on('error', () => agent.destroy());
  agent.on('close', () => endThenClose(client));
  client.on('close', () => endThenClose(agent));
  agent.pipe(client);
  client.pipe(agent);
}

/**
 * Closes one side of the tunnel once the other has gone, after what it still holds is written:
 * a destroy would drop the last output of a session (the exit Status, the end of a `cp`).
 */
function endThenClose(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) return void socket.destroy();
  socket.once('finish', () => socket.destroy());
  socket.end();
}
