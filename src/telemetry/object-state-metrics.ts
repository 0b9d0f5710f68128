/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- objects of any kind are read by path */
import type { Metric, Registry } from 'prom-client';
import type { KubeObject } from '../common/kube-object.js';

/** Where the object-state series come from: the objects a cache holds now, by resource. */
export interface ObjectStateSource {
  /** The cached objects of `pods`, `deployments`, `nodes` or `horizontalpodautoscalers`. */
  list(resource: 'pods' | 'deployments' | 'nodes' | 'horizontalpodautoscalers'): Iterable<KubeObject>;
}

type Labels = Record<string, string>;
interface Value {
  labels: Labels;
  value: number;
}

const PHASES = ['Pending', 'Succeeded', 'Failed', 'Unknown', 'Running'];
const CONDITION_STATUSES: Array<[string, string]> = [
  ['true', 'True'],
  ['false', 'False'],
  ['unknown', 'Unknown'],
];
const meta = (o: any): { name: string; namespace: string; uid: string } => ({
  name: o.metadata?.name ?? '',
  namespace: o.metadata?.namespace ?? '',
  uid: o.metadata?.uid ?? '',
});

function podValues(pods: Iterable<KubeObject>): Value[] {
  const out: Value[] = [];
  for (const p of pods as Iterable<any>) {
    const { name, namespace, uid } = meta(p);
    const phase: string = p.status?.phase ?? 'Pending';
    for (const ph of PHASES)
      out.push({ labels: { namespace, pod: name, uid, phase: ph }, value: ph === phase ? 1 : 0 });
  }
  return out;
}

function podReadyValues(pods: Iterable<KubeObject>): Value[] {
  const out: Value[] = [];
  for (const p of pods as Iterable<any>) {
    const { name, namespace, uid } = meta(p);
    const ready: string | undefined = p.status?.conditions?.find((c: any) => c.type === 'Ready')?.status;
    if (ready === undefined) continue;
    for (const [label, status] of CONDITION_STATUSES)
      out.push({ labels: { namespace, pod: name, uid, condition: label }, value: ready === status ? 1 : 0 });
  }
  return out;
}

function perObject(
  objects: Iterable<KubeObject>,
  label: string,
  read: (o: any) => number | undefined,
): Value[] {
  const out: Value[] = [];
  for (const o of objects as Iterable<any>) {
    const v = read(o);
    if (v === undefined) continue;
    const { name, namespace } = meta(o);
    out.push({ labels: { namespace, [label]: name }, value: v });
  }
  return out;
}

function nodeConditionValues(nodes: Iterable<KubeObject>): Value[] {
  const out: Value[] = [];
  for (const n of nodes as Iterable<any>) {
    for (const c of n.status?.conditions ?? []) {
      for (const [label, status] of CONDITION_STATUSES)
        out.push({
          labels: { node: meta(n).name, condition: String(c.type), status: label },
          value: c.status === status ? 1 : 0,
        });
    }
  }
  return out;
}

/** A gauge whose values are computed when scraped (prom-client renders it like its own). */
function scrapeTimeGauge(registry: Registry, name: string, help: string, values: () => Value[]): void {
  const metric = {
    name,
    help,
    type: 'gauge',
    aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type: 'gauge', aggregator: 'sum', values: values() }),
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Metric);
}

/**
 * kube-state-metrics' object series on a registry, with its names and labels, computed at
 * scrape time from what `source` caches (the controller manager's informers): pod phase and
 * readiness, Deployment replicas (spec, total, ready, available, updated), node conditions and
 * HPA replicas and bounds. Nothing is kept between scrapes, so a deleted object's series just
 * disappear, and the cost is one pass over the cached objects per scrape.
 */
export function registerObjectStateMetrics(registry: Registry, source: ObjectStateSource): void {
  const g = (name: string, help: string, values: () => Value[]): void =>
    scrapeTimeGauge(registry, name, help, values);
  g('kube_pod_status_phase', 'The pods current phase.', () => podValues(source.list('pods')));
  g('kube_pod_status_ready', 'Describes whether the pod is ready to serve requests.', () =>
    podReadyValues(source.list('pods')),
  );
  const deployments = (field: (d: any) => number | undefined) => () =>
    perObject(source.list('deployments'), 'deployment', field);
  g(
    'kube_deployment_spec_replicas',
    'Number of desired pods for a deployment.',
    deployments((d) => d.spec?.replicas ?? 1),
  );
  g(
    'kube_deployment_status_replicas',
    'The number of replicas per deployment.',
    deployments((d) => d.status?.replicas ?? 0),
  );
  g(
    'kube_deployment_status_replicas_ready',
    'The number of ready replicas per deployment.',
    deployments((d) => d.status?.readyReplicas ?? 0),
  );
  g(
    'kube_deployment_status_replicas_available',
    'The number of available replicas per deployment.',
    deployments((d) => d.status?.availableReplicas ?? 0),
  );
  g(
    'kube_deployment_status_replicas_updated',
    'The number of updated replicas per deployment.',
    deployments((d) => d.status?.updatedReplicas ?? 0),
  );
  g('kube_node_status_condition', 'The condition of a cluster node.', () =>
    nodeConditionValues(source.list('nodes')),
  );
  const hpas = (field: (h: any) => number | undefined) => () =>
    perObject(source.list('horizontalpodautoscalers'), 'horizontalpodautoscaler', field);
  g(
    'kube_horizontalpodautoscaler_spec_min_replicas',
    'Lower limit for the number of pods that can be set by the autoscaler, default 1.',
    hpas((h) => h.spec?.minReplicas ?? 1),
  );
  g(
    'kube_horizontalpodautoscaler_spec_max_replicas',
    'Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.',
    hpas((h) => h.spec?.maxReplicas),
  );
  g(
    'kube_horizontalpodautoscaler_status_current_replicas',
    'Current number of replicas of pods managed by this autoscaler.',
    hpas((h) => h.status?.currentReplicas ?? 0),
  );
  g(
    'kube_horizontalpodautoscaler_status_desired_replicas',
    'Desired number of replicas of pods managed by this autoscaler.',
    hpas((h) => h.status?.desiredReplicas ?? 0),
  );
}
