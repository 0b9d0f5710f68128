import {
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import type { KubeObject } from '../common/kube-object.js';
import { queryBool } from '../common/query-bool.js';
import type { ApiDeps } from './api-context.js';
import { badRequest, nodeUnreachable, notFound, podLogFailed } from './errors.js';
import type { ResourceRequest } from './resource-request.js';

/** The query parameters of `pods/{name}/log` passed on to the agent. */
const PASSED = ['follow', 'tailLines', 'sinceSeconds', 'sinceTime', 'timestamps', 'previous', 'limitBytes'];

interface ContainerStatusLike {
  name?: string;
  containerID?: string;
  state?: { waiting?: { reason?: string } };
  lastState?: { terminated?: unknown };
}

/**
 * The Secret in `kube-node-lease` where a node's agent keeps the bearer secret of its log
 * endpoint (the agent writes it at registration: `src/agent/agent.ts` `nodeSecretName`).
 */
export function agentSecretName(node: string): string {
  return `stratus-agent-${node}`;
}

/** The container a pod subresource names, or its only container; 400 with kubelet's words otherwise. */
export function pickContainer(pod: KubeObject, name: string, wanted: string | null): string {
  const spec = (pod['spec'] ?? {}) as {
    containers?: { name: string }[];
    initContainers?: { name: string }[];
  };
  const main = (spec.containers ?? []).map((c) => c.name);
  const init = (spec.initContainers ?? []).map((c) => c.name);
  if (wanted === null || wanted === '') {
    if (main.length === 1 && main[0] !== undefined) return main[0];
    let msg = `a container name must be specified for pod ${name}, choose one of: [${main.join(' ')}]`;
    if (init.length > 0) msg += ` or one of the init containers: [${init.join(' ')}]`;
    throw badRequest(msg);
  }
  if (!main.includes(wanted) && !init.includes(wanted)) {
    throw badRequest(`container ${wanted} is not valid for pod ${name}`);
  }
  return wanted;
}

function checkState(pod: KubeObject, name: string, container: string, previous: boolean): void {
  const status = (pod['status'] ?? {}) as {
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
  };
  const all = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])];
  const cs = all.find((s) => s.name === container);
  if (previous) {
    if (cs?.lastState?.terminated === undefined) {
      throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    }
    return;
  }
  if (cs === undefined || (cs.state?.waiting !== undefined && cs.containerID === undefined)) {
    const reason = cs?.state?.waiting?.reason ?? 'ContainerCreating';
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`);
  }
}

/** Addresses a log request is never sent to, whatever a Node's status says. */
const FORBIDDEN = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['169.254.0.0', 16], // link-local: cloud metadata services live here
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
] as const)
  FORBIDDEN.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  FORBIDDEN.addSubnet(net, bits, 'ipv6');

/**
 * The agent endpoint of a node, checked: `Node.status` is written by the node, so its address is
 * only used when it is a unicast IP literal (no host name: nothing is resolved) outside the
 * link-local, multicast and unspecified ranges, with IPv4 written as IPv4, and the port a number
 * from 1 to 65535. The answer explains what was refused.
 */
export function checkLogTarget(host: unknown, port: unknown): string | undefined {
  const family = typeof host === 'string' ? isIP(host) : 0;
  if (family === 0) return `its InternalIP ${JSON.stringify(host)} is not an IP address`;
  const h = host as string;
  if ((family === 6 && h.includes('.')) || FORBIDDEN.check(h, family === 4 ? 'ipv4' : 'ipv6')) {
    return `its InternalIP ${h} is not a unicast address the API may connect to`;
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    return `its log endpoint port ${JSON.stringify(port)} is not a port number`;
  }
  return undefined;
}

/** Where a node's agent listens and the secret it wants; API_NODE_UNREACHABLE when unknown or refused. */
export async function agentTarget(deps: ApiDeps, nodeName: string): Promise<AgentTarget> {
  const node = await deps.store.get('nodes', '', nodeName);
  const secret = await deps.store.get('secrets', 'kube-node-lease', agentSecretName(nodeName));
  const status = (node?.['status'] ?? {}) as {
    addresses?: { type: string; address: unknown }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: unknown } };
  };
  const host = status.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  const data = (secret?.['data'] ?? {}) as { token?: string; 'ca.crt'?: string };
  const token = data.token;
  const cert = data['ca.crt'];
  if (node === undefined || host === undefined || port === undefined || token === undefined) {
    throw nodeUnreachable(nodeName, 'the node has no log endpoint registered');
  }
  const refused = checkLogTarget(host, port);
  if (refused !== undefined) throw nodeUnreachable(nodeName, refused);
  return {
    host: host as string,
    port: port as number,
    token: Buffer.from(token, 'base64').toString('utf8'),
    ...(cert !== undefined ? { cert: Buffer.from(cert, 'base64').toString('utf8') } : {}),
  };
}

/** A node's agent endpoint: where, its bearer secret, and its certificate when it serves HTTPS. */
export interface AgentTarget {
  host: string;
  port: number;
  token: string;
  /** The agent's self-signed certificate (PEM), the only one trusted for it; none: plain HTTP (loopback). */
  cert?: string;
}

/**
 * A request to a node's agent: HTTPS trusting only the certificate the agent published with its
 * secret (the address must be one it names), or plain HTTP when it published none (an agent on
 * loopback).
 */
export function agentRequest(
  target: AgentTarget,
  options: Omit<RequestOptions, 'host' | 'port'>,
  onResponse?: (res: IncomingMessage) => void,
): ClientRequest {
  const at = { ...options, host: target.host, port: target.port };
  if (target.cert === undefined) return httpRequest(at, onResponse);
  return httpsRequest({ ...at, ca: target.cert, servername: '' }, onResponse);
}

/** At most this much of an agent's error answer is read (and quoted to the client). */
const ERROR_BODY_LIMIT = 64 * 1024;

/** Reads an agent's answer, at most `limit` bytes (default: 64 KiB, for an error text). */
export function readError(res: IncomingMessage, limit = ERROR_BODY_LIMIT): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    const done = (): void => resolve(Buffer.concat(parts).toString('utf8'));
    res.on('data', (d: Buffer) => {
      parts.push(d.subarray(0, limit - size));
      size += d.length;
      if (size >= limit) {
        res.destroy();
        done();
      }
    });
    res.on('end', done);
    res.on('error', done);
  });
}

/**
 * `GET pods/{name}/log`: checks the container as kubelet words its errors (400 BadRequest for a
 * container still waiting, a missing previous container, an ambiguous container name), then
 * proxies to the agent of the pod's node with the node's secret and streams the answer. A follow
 * stream lasts until the client goes away; the handler returns once streaming has begun, so it
 * does not hold the server's shutdown.
 */
export async function handlePodLog(deps: ApiDeps, r: ResourceRequest): Promise<void> {
  const name = r.name ?? '';
  const pod = await deps.store.get('pods', r.namespace, name);
  if (pod === undefined) throw notFound('pods', name, { name, kind: 'pods' });
  const container = pickContainer(pod, name, r.query.get('container'));
  const previous = queryBool(r.query, 'previous');
  checkState(pod, name, container, previous);
  const nodeName = ((pod['spec'] ?? {}) as { nodeName?: string }).nodeName;
  if (nodeName === undefined || nodeName === '') {
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
  }
  const target = await agentTarget(deps, nodeName);
  const qs = new URLSearchParams();
  for (const k of PASSED) {
    const v = r.query.get(k);
    if (v !== null) qs.set(k, v);
  }
  const path = `/containerLogs/${encodeURIComponent(r.namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?${qs.toString()}`;
  const timeoutMs = deps.podLogTimeoutMs ?? 10_000;
  const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = agentRequest(
      target,
      { path, headers: { authorization: `Bearer ${target.token}` } },
      (res) => {
        clearTimeout(timer);
        resolve(res);
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(nodeUnreachable(nodeName, err.message));
    });
    r.res.on('close', () => req.destroy());
    req.end();
  });
  const code = upstream.statusCode ?? 500;
  if (code >= 300 && code < 400) {
    upstream.destroy();
    throw nodeUnreachable(nodeName, `its agent answered ${code}, a redirect, which is not followed`);
  }
  if (code !== 200) throw podLogFailed(code, await readError(upstream));
  r.res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  r.res.flushHeaders();
  upstream.on('error', () => r.res.destroy());
  r.res.on('close', () => upstream.destroy());
  upstream.pipe(r.res);
}
