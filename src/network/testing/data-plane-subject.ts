/**
 * The balancing contract's subject for a whole data plane: ten real upstream servers on
 * loopback (e0 … e9), one HTTP listener balancing over those the suite names, and a real
 * node:http client. Keys become the client's source address (`source-hash`) or an
 * `x-lb-key` header (`consistent-hash`).
 */
import { Agent, request, type IncomingMessage } from 'node:http';
import { CONTRACT_ENDPOINTS, type BalancingSubject } from '../balancing/balancing-contract.js';
import type { DataPlane } from '../data-plane.js';
import type { AlgorithmName, ListenerConfig } from '../proxy-config.js';
import { startUpstream, type Upstream } from './upstream.js';
import { freePort } from '../../common/free-port.js';

/** Starts the ten upstreams of the contract. */
export function startContractUpstreams(): Promise<Upstream[]> {
  return Promise.all(CONTRACT_ENDPOINTS.map((id) => startUpstream({ id })));
}

/** One GET through the proxy; resolves with the response once its head arrived. */
export function get(
  port: number,
  path: string,
  options: { agent?: Agent | false; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      agent: options.agent ?? false,
      headers: options.headers ?? {},
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${path} got no answer within 30 s`)));
    req.end();
  });
}

/** Reads a whole response body as text. */
export async function text(res: IncomingMessage): Promise<string> {
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk as string;
  return body;
}

/** Builds the subject on a data plane the caller made (and closes it with the subject). */
export async function dataPlaneSubject(
  plane: DataPlane,
  algorithm: AlgorithmName,
  extra: Partial<ListenerConfig> = {},
): Promise<BalancingSubject> {
  const upstreams = await startContractUpstreams();
  const byId = new Map(upstreams.map((u) => [u.id, u]));
  const port = await freePort();
  const agent = new Agent({ keepAlive: true });
  const byAddress = algorithm === 'source-hash';
  const keyed = (key: string | undefined) =>
    key === undefined
      ? { agent }
      : byAddress
        ? { localAddress: key }
        : { agent, headers: { 'x-lb-key': key } };
  let tokens = 0;
  const start = async (key?: string) => {
    const token = `t${++tokens}`;
    const res = await get(port, `/hold/${token}`, keyed(key));
    const endpoint = String(res.headers['x-endpoint']);
    const body = text(res);
    return {
      endpoint,
      finish: async () => {
        byId.get(endpoint)?.release(token);
        await body;
      },
    };
  };
  return {
    async setEndpoints(endpoints) {
      await plane.apply({
        listeners: [
          {
            name: 'contract',
            address: '127.0.0.1',
            port,
            protocol: 'http',
            algorithm,
            ...(algorithm === 'consistent-hash' ? { hashOn: { source: 'header', name: 'x-lb-key' } } : {}),
            ...extra,
            endpoints: endpoints.map((e) => {
              const u = byId.get(e.id) as Upstream;
              return { id: e.id, address: u.address, port: u.port, weight: e.weight };
            }),
          },
        ],
      });
    },
    start,
    async send(key) {
      const res = await get(port, '/', keyed(key));
      await text(res);
      return String(res.headers['x-endpoint']);
    },
    async close() {
      agent.destroy();
      await plane.close();
      await Promise.all(upstreams.map((u) => u.close()));
    },
  };
}
