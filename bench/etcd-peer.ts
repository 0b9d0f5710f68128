/**
 * The API benchmark's peer: Debian's etcd (3.4) on loopback, driven through its v3 JSON gateway
 * over keep-alive HTTP, with ConfigMap-sized values under `/registry/configmaps/…` keys as
 * kube-apiserver stores them, and a watch on the prefix held open as kube-apiserver holds one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { CONCURRENCY, send, waitFor } from './api-tools.js';
import { freePort } from '../src/common/free-port.js';

export const ETCD = '/usr/bin/etcd';

/** The four operations the API benchmark compares, on object `i`. */
export interface CrudTarget {
  create(i: number): Promise<void>;
  get(i: number): Promise<void>;
  update(i: number): Promise<void>;
  delete(i: number): Promise<void>;
}

/** A running etcd: its client URL and process. */
export interface RunningEtcd {
  url: string;
  child: ChildProcess;
}

/** Starts etcd with its data in `dir`, on free loopback ports. */
export async function startEtcd(dir: string): Promise<RunningEtcd> {
  const client = await freePort();
  const peer = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const child = spawn(
    ETCD,
    [
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `default=${peerUrl}`,
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  await waitFor(async () => (await fetch(`${url}/health`)).ok, 20_000).catch((err: Error) => {
    child.kill('SIGKILL');
    throw err;
  });
  return { url, child };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Puts, ranges and deletes of one key per object under `/registry/configmaps/<ns>/`. */
export function etcdTarget(url: string, namespace: string, agent: Agent): CrudTarget {
  const prefix = `/registry/configmaps/${namespace}/`;
  const value = (v: string): string =>
    b64(JSON.stringify({ metadata: { name: 'x', namespace }, data: { key: v } }));
  const post = (path: string, body: unknown): Promise<void> =>
    send(url + path, agent, 'POST', { 'content-type': 'application/json' }, JSON.stringify(body));
  return {
    create: (i) => post('/v3/kv/put', { key: b64(`${prefix}cm-${i}`), value: value('value') }),
    get: (i) => post('/v3/kv/range', { key: b64(`${prefix}cm-${i}`) }),
    update: (i) => post('/v3/kv/put', { key: b64(`${prefix}cm-${i}`), value: value('changed') }),
    delete: (i) => post('/v3/kv/deleterange', { key: b64(`${prefix}cm-${i}`) }),
  };
}

/** A keep-alive pool for one etcd. */
export function etcdAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
}

/** Opens a watch on every key under the namespace's prefix; `close()` ends it. Counts events. */
export async function etcdWatch(
  url: string,
  namespace: string,
): Promise<{ events: () => number; close: () => void }> {
  const prefix = `/registry/configmaps/${namespace}/`;
  // The end of a prefix range: the prefix with its last byte incremented.
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  let events = 0;
  const req = request(`${url}/v3/watch`, { method: 'POST', headers: { 'content-type': 'application/json' } });
  await new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      res.on('data', (chunk: Buffer) => {
        events += chunk.toString().split('"kv"').length - 1;
      });
      res.on('error', () => undefined);
      resolve();
    });
    req.on('error', reject);
    req.end(JSON.stringify({ create_request: { key: b64(prefix), range_end: b64(end) } }));
  });
  return {
    events: () => events,
    close: () => req.destroy(),
  };
}
