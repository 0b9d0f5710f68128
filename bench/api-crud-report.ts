/**
 * Runs the CRUD figures of `api-crud.ts` for Stratus (over TLS, then plain HTTP, each in its own
 * namespace with its own watch, after an untimed warm-up round of the same size with a watch
 * open) and for etcd (the same way), and turns them into result rows with the issue's
 * goals: creates ≥ 1× etcd's puts, gets ≥ 3× etcd's ranges, deletes ≥ 0.8× creates, server CPU
 * per get ≤ 50 µs and per create ≤ 200 µs, peak RSS during the deletes ≤ 1.5× the RSS before.
 */
import type { Agent } from 'node:http';
import { withPeer } from './api-tools.js';
import {
  CONCURRENCY_LABEL,
  endpointAgent,
  ensureNamespaces,
  OPS,
  runCrud,
  stratusCrud,
  stratusWatch,
  warmUp,
  type CrudFigures,
  type Op,
  type StratusEndpoint,
} from './api-crud.js';
import { etcdTarget, etcdWatch } from './etcd-peer.js';
import type { BenchResult } from './result.js';

/** Stratus's CRUD figures over TLS and over plain HTTP. */
export interface StratusCrud {
  tls: CrudFigures;
  http: CrudFigures;
}

/** Measures Stratus over TLS (the kubeconfig's URL) and then plain HTTP, `pid` being the server's. */
export async function measureStratusCrud(
  s: { url: string; httpsUrl: string; token: string; ca: string },
  pid: number,
): Promise<StratusCrud> {
  const run = async (endpoint: StratusEndpoint, namespace: string): Promise<CrudFigures> => {
    const agent = endpointAgent(endpoint);
    try {
      await ensureNamespaces(endpoint, agent, [namespace, `${namespace}-warm-up`]);
      await warmUp(stratusCrud(endpoint, `${namespace}-warm-up`, agent), () =>
        stratusWatch(endpoint, `${namespace}-warm-up`),
      );
      const watch = await stratusWatch(endpoint, namespace);
      try {
        return await runCrud(stratusCrud(endpoint, namespace, agent), pid, watch.events);
      } finally {
        watch.close();
      }
    } finally {
      agent.destroy();
    }
  };
  const tls = await run({ url: s.httpsUrl, token: s.token, ca: s.ca }, 'crud-tls');
  const http = await run({ url: s.url, token: s.token }, 'crud-http');
  for (const [name, f] of [
    ['TLS', tls],
    ['HTTP', http],
  ] as const) {
    console.error(`api bench: the ${name} watch received ${f.watchEvents} events`);
  }
  return { tls, http };
}

/** Measures etcd the same way (its JSON gateway, a watch on the prefix). */
export async function measureEtcdCrud(url: string, agent: Agent): Promise<CrudFigures> {
  await warmUp(etcdTarget(url, 'crud-warm-up', agent), () => etcdWatch(url, 'crud-warm-up'));
  const watch = await etcdWatch(url, 'crud');
  try {
    const figures = await runCrud(etcdTarget(url, 'crud', agent), undefined, watch.events);
    console.error(`api bench: the etcd watch received ${figures.watchEvents} events`);
    return figures;
  } finally {
    watch.close();
  }
}

const NOUN: Record<Op, string> = { create: 'creates', get: 'gets', update: 'updates', delete: 'deletes' };
const PEER_GOAL: Partial<Record<Op, string>> = { create: '>= 1x etcd puts', get: '>= 3x etcd ranges' };
const CPU_GOAL: Partial<Record<Op, string>> = { create: '<= 200 us', get: '<= 50 us' };

/** The result rows: rates and p99 per operation and transport, ratios, CPU and RSS. */
export function crudResults(stratus: StratusCrud, etcd: CrudFigures | undefined): BenchResult[] {
  const rows: BenchResult[] = [];
  for (const [label, f] of [
    ['TLS', stratus.tls],
    ['HTTP', stratus.http],
  ] as const) {
    for (const op of OPS) {
      rows.push(
        withPeer(
          {
            name: `api ${NOUN[op]}/s, ${label}, watch open (${CONCURRENCY_LABEL})`,
            value: f.phases[op].rate,
            unit: 'ops/s',
            ...(label === 'TLS' && PEER_GOAL[op] ? { goal: PEER_GOAL[op] } : {}),
          },
          etcd?.phases[op].rate,
          true,
        ),
      );
    }
  }
  const tls = stratus.tls;
  for (const op of OPS) {
    rows.push(
      withPeer(
        { name: `api ${op} p99, TLS, watch open`, value: tls.phases[op].p99, unit: 'ms', goal: '<= 1000 ms' },
        etcd?.phases[op].p99,
        false,
      ),
    );
  }
  for (const [label, f] of [
    ['TLS', stratus.tls],
    ['HTTP', stratus.http],
  ] as const) {
    rows.push({
      name: `api deletes/creates, ${label}`,
      value: f.phases.delete.rate / f.phases.create.rate,
      unit: 'x',
      goal: '>= 0.8x',
    });
  }
  for (const [label, f] of [
    ['TLS', stratus.tls],
    ['HTTP', stratus.http],
  ] as const) {
    for (const op of OPS) {
      rows.push({
        name: `api server CPU per ${op}, ${label}`,
        value: f.cpuUs?.[op] ?? 0,
        unit: 'us',
        ...(CPU_GOAL[op] ? { goal: CPU_GOAL[op] } : {}),
      });
    }
  }
  const before = tls.rssBeforeDeletes ?? 0;
  const peak = Math.max(tls.rssPeakDeletes ?? 0, stratus.http.rssPeakDeletes ?? 0);
  rows.push(
    { name: 'api server RSS before the TLS deletes', value: before, unit: 'MiB' },
    {
      name: 'api server peak RSS during deletes / before',
      value: before > 0 ? (tls.rssPeakDeletes ?? 0) / before : 0,
      unit: 'x',
      goal: '<= 1.5x',
    },
    { name: 'api server peak RSS during deletes', value: peak, unit: 'MiB' },
  );
  return rows;
}
