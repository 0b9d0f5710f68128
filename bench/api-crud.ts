/**
 * The API benchmark's CRUD figures: creates, gets, updates and deletes of ConfigMaps from 32
 * concurrent clients with one watch held open on their namespace (as controllers hold one), for
 * Stratus over TLS and over plain HTTP and for etcd on its JSON gateway, with the server's CPU
 * time per request (from /proc) and its RSS before and at its peak during the deletes.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import {
  CONCURRENCY,
  cpuMs,
  loadPhase,
  rssMiB,
  rssPeak,
  send,
  waitFor,
  type PhaseResult,
} from './api-tools.js';
import type { CrudTarget } from './etcd-peer.js';

/** How the rows name the load. */
export const CONCURRENCY_LABEL = `${CONCURRENCY} clients`;

/** ConfigMaps each run creates, updates and deletes (the figure). */
export const CRUD_OBJECTS = 3000;
/** Gets per run, spread over those objects. */
export const CRUD_GETS = 10_000;

export const OPS = ['create', 'get', 'update', 'delete'] as const;
export type Op = (typeof OPS)[number];

/** What one run measured. */
export interface CrudFigures {
  phases: Record<Op, PhaseResult>;
  /** Server CPU per request in µs, when the server's pid is known. */
  cpuUs?: Record<Op, number>;
  rssBeforeDeletes?: number;
  rssPeakDeletes?: number;
  /** Events the open watch received (a check that it was live). */
  watchEvents: number;
}

/** How to reach a Stratus API server: base URL (http or https), token and, for TLS, its CA. */
export interface StratusEndpoint {
  url: string;
  token: string;
  ca?: string;
}

/** A keep-alive pool for the endpoint's scheme. */
export function endpointAgent(endpoint: StratusEndpoint): HttpAgent | HttpsAgent {
  return endpoint.url.startsWith('https:')
    ? new HttpsAgent({
        keepAlive: true,
        maxSockets: CONCURRENCY,
        ...(endpoint.ca ? { ca: endpoint.ca } : {}),
      })
    : new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY });
}

/** POST, GET, PUT and DELETE of ConfigMap `cm-i` in `namespace`. */
export function stratusCrud(
  endpoint: StratusEndpoint,
  namespace: string,
  agent: HttpAgent | HttpsAgent,
): CrudTarget {
  const headers = { authorization: `Bearer ${endpoint.token}`, 'content-type': 'application/json' };
  const base = `${endpoint.url}/api/v1/namespaces/${namespace}/configmaps`;
  const body = (i: number, v: string): string =>
    JSON.stringify({ metadata: { name: `cm-${i}` }, data: { key: v } });
  return {
    create: (i) => send(base, agent, 'POST', headers, body(i, 'value')),
    get: (i) => send(`${base}/cm-${i}`, agent, 'GET', headers),
    update: (i) => send(`${base}/cm-${i}`, agent, 'PUT', headers, body(i, 'changed')),
    delete: (i) => send(`${base}/cm-${i}`, agent, 'DELETE', headers),
  };
}

/** Opens a watch on the namespace's ConfigMaps on its own connection; counts the events. */
export async function stratusWatch(
  endpoint: StratusEndpoint,
  namespace: string,
): Promise<{ events: () => number; close: () => void }> {
  const url = `${endpoint.url}/api/v1/namespaces/${namespace}/configmaps?watch=1&allowWatchBookmarks=true`;
  const options = {
    headers: { authorization: `Bearer ${endpoint.token}` },
    ...(endpoint.ca ? { ca: endpoint.ca } : {}),
  };
  let events = 0;
  const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, options);
  await new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      if (res.statusCode !== 200) reject(new Error(`watch: HTTP ${res.statusCode}`));
      res.on('data', (chunk: Buffer) => {
        for (const b of chunk) if (b === 10) events++;
      });
      res.on('error', () => undefined);
      resolve();
    });
    req.on('error', reject);
    req.end();
  });
  return { events: () => events, close: () => req.destroy() };
}

/**
 * Objects of the untimed warm-up round (JIT, TLS sessions) before the measured one: as many as
 * the measured round, since with 1,000 the JIT was still compiling the watch's paths in it
 * (a tenth of a create's CPU went to the compiler).
 */
export const WARM_UP_OBJECTS = CRUD_OBJECTS;

/** Runs every operation over WARM_UP_OBJECTS objects, untimed, with `watch` open meanwhile. */
export async function warmUp(target: CrudTarget, watch: () => Promise<{ close: () => void }>): Promise<void> {
  const open = await watch();
  try {
    for (const op of OPS) await loadPhase(WARM_UP_OBJECTS, (i) => target[op](i));
  } finally {
    open.close();
  }
}

/**
 * Creates CRUD_OBJECTS objects, gets them CRUD_GETS times, updates and deletes each, from
 * CONCURRENCY clients; with `pid`, reads the server's CPU time around each phase and samples its
 * RSS through the deletes.
 */
export async function runCrud(
  target: CrudTarget,
  pid: number | undefined,
  watchEvents: () => number,
): Promise<CrudFigures> {
  const phases = {} as Record<Op, PhaseResult>;
  const cpuUs = {} as Record<Op, number>;
  let rssBeforeDeletes: number | undefined;
  let rssPeakDeletes: number | undefined;
  for (const op of OPS) {
    const count = op === 'get' ? CRUD_GETS : CRUD_OBJECTS;
    const cpu0 = pid === undefined ? 0 : await cpuMs(pid);
    let sampler: { stop: () => Promise<number> } | undefined;
    if (op === 'delete' && pid !== undefined) {
      rssBeforeDeletes = await rssMiB(pid);
      sampler = rssPeak(pid);
    }
    phases[op] = await loadPhase(count, (i) => target[op](i % CRUD_OBJECTS));
    if (sampler !== undefined) rssPeakDeletes = await sampler.stop();
    if (pid !== undefined) cpuUs[op] = (((await cpuMs(pid)) - cpu0) * 1000) / Math.max(1, phases[op].done);
  }
  // Each object made three events (ADDED, MODIFIED, DELETED); the last may still be on the way.
  await waitFor(() => Promise.resolve(watchEvents() >= 3 * CRUD_OBJECTS), 5000).catch(() => undefined);
  return {
    phases,
    ...(pid !== undefined ? { cpuUs } : {}),
    ...(rssBeforeDeletes !== undefined ? { rssBeforeDeletes } : {}),
    ...(rssPeakDeletes !== undefined ? { rssPeakDeletes } : {}),
    watchEvents: watchEvents(),
  };
}

/** Creates the namespaces a run writes into (an existing one is fine). */
export async function ensureNamespaces(
  endpoint: StratusEndpoint,
  agent: HttpAgent | HttpsAgent,
  names: readonly string[],
): Promise<void> {
  const headers = { authorization: `Bearer ${endpoint.token}`, 'content-type': 'application/json' };
  for (const name of names) {
    await send(
      `${endpoint.url}/api/v1/namespaces`,
      agent,
      'POST',
      headers,
      JSON.stringify({ metadata: { name } }),
    ).catch((err: Error) => {
      if (!err.message.includes('HTTP 409')) throw err;
    });
  }
}
