/**
 * Watch cache benchmark (issue 16): the memory the cache holds per pod, and what its index saves.
 * 20,000 pods shaped as Stratus writes them (a ReplicaSet's pod, bound by the scheduler, Running
 * as the agent reports it, with the three managers' managedFields) go into a SQLite store; the
 * JS heap is measured (after full GCs) before and after a WatchCache loads them, which gives the
 * bytes per cached pod beside the pod's JSON size (the peer figure: what the store itself keeps).
 * Then one node's pods are listed by `spec.nodeName` from the cache's index and from SQLite's
 * scan, as every agent's relist does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { KubeObject } from '../src/common/kube-object.js';
import { SqliteStore, WatchCache } from '../src/store/index.js';
import type { BenchResult } from './result.js';

const PODS = 20_000;
const NODES = 200;
const NAMESPACES = 20;
const LISTS = 200;

function pod(i: number): KubeObject {
  const node = `node-${String(i % NODES).padStart(4, '0')}`;
  const name = `web-${Math.floor(i / 100)}-7d9f8b6c5d-${i.toString(36).padStart(5, 'x')}`;
  const t = '2026-12-07T12:00:00Z';
  const uid = (n: number): string => `4f3c2a1b-${String(n).padStart(4, '0')}-4c55-9a1b-7c3f5e2d9a10`;
  const cond = (type: string): Record<string, unknown> => ({ type, status: 'True', lastTransitionTime: t });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: name.slice(0, -5),
      namespace: `ns-${i % NAMESPACES}`,
      uid: uid(i),
      creationTimestamp: t,
      generation: 1,
      labels: { app: `web-${Math.floor(i / 100)}`, 'pod-template-hash': '7d9f8b6c5d' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `web-${Math.floor(i / 100)}-7d9f8b6c5d`,
          uid: uid(100_000 + Math.floor(i / 100)),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: [
        {
          manager: 'stratus-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: t,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': {
              'f:generateName': {},
              'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} },
              'f:ownerReferences': { '.': {}, [`k:{"uid":"${uid(100_000)}"}`]: {} },
            },
            'f:spec': {
              'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': {} } },
            },
          },
        },
        {
          manager: 'stratus-agent',
          operation: 'Update',
          apiVersion: 'v1',
          time: t,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': { 'f:conditions': {}, 'f:phase': {}, 'f:podIP': {}, 'f:startTime': {} } },
          subresource: 'status',
        },
      ],
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.example/web:1.4.2',
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      nodeName: node,
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [cond('PodScheduled'), cond('Initialized'), cond('ContainersReady'), cond('Ready')],
      hostIP: '10.0.0.1',
      podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
      startTime: t,
      containerStatuses: [
        {
          name: 'web',
          ready: true,
          restartCount: 0,
          image: 'registry.example/web:1.4.2',
          started: true,
          state: { running: { startedAt: t } },
        },
      ],
    },
  };
}

function heapAfterGc(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

function microsEach(n: number, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let p: Promise<unknown> = Promise.resolve();
  for (let i = 0; i < n; i++) p = p.then(fn);
  return p.then(() => ((performance.now() - t0) * 1000) / n);
}

/** Runs the watch cache figures; see the module comment. */
export async function benchWatchCache(): Promise<BenchResult[]> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-cache-'));
  const sqlite = await SqliteStore.open(join(dir, 'state.db'), {
    synchronous: 'normal',
    compactIntervalMs: 0,
  });
  const cache = new WatchCache(sqlite, { indexes: { pods: ['spec.nodeName'] } });
  try {
    let jsonBytes = 0;
    for (let i = 0; i < PODS; i += 500) {
      const batch = Array.from({ length: Math.min(500, PODS - i) }, (_, j) => pod(i + j));
      for (const p of batch) jsonBytes += Buffer.byteLength(JSON.stringify(p)) + 20;
      await Promise.all(batch.map((p) => sqlite.create('pods', p)));
    }
    const before = heapAfterGc(gc);
    await cache.start(['pods']);
    const perPod = (heapAfterGc(gc) - before) / PODS;
    const node = { fieldSelector: 'spec.nodeName=node-0007' };
    const fromCache = await microsEach(LISTS, () => cache.listCached('pods', node));
    const fromStore = await microsEach(LISTS / 10, () => sqlite.list('pods', node));
    return [
      {
        name: 'watch cache heap per pod (20,000 pods)',
        value: perPod,
        unit: 'bytes',
        peer: { name: 'pod JSON', value: jsonBytes / PODS },
        ratio: perPod / (jsonBytes / PODS),
        goal: '<= 2x JSON',
      },
      {
        name: `list one node's pods (spec.nodeName, ${PODS / NODES} of ${PODS})`,
        value: fromCache,
        unit: 'us',
        peer: { name: 'SQLite scan', value: fromStore },
        ratio: fromStore / fromCache,
      },
    ];
  } finally {
    await cache.close();
    await rm(dir, { recursive: true, force: true });
  }
}
