import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Namespace, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import { createRegistry } from './registry.js';
import { defaultPullPolicy } from './pod-defaults.js';
import * as m from './testdata/manifests.js';

const registry = createRegistry();
function defaulted<T>(y: string | object): T {
  const o = (typeof y === 'string' ? parse(y) : y) as KubeObject;
  const t = registry.byKind(o.apiVersion ?? '', o.kind ?? '');
  assert.ok(t);
  return t.defaults(o) as unknown as T;
}

test('Deployment defaults: replicas, strategy 25%/25%, history, deadline, pod template', () => {
  const o = parse(m.deploymentYaml) as Deployment;
  delete o.spec!.replicas;
  const d = defaulted<Deployment>(o).spec!;
  assert.equal(d.replicas, 1);
  assert.deepEqual(d.strategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
  });
  assert.equal(d.revisionHistoryLimit, 10);
  assert.equal(d.progressDeadlineSeconds, 600);
  const pod = d.template.spec!;
  assert.equal(pod.restartPolicy, 'Always');
  assert.equal(pod.terminationGracePeriodSeconds, 30);
  assert.equal(pod.dnsPolicy, 'ClusterFirst');
  assert.equal(pod.schedulerName, 'default-scheduler');
  assert.deepEqual(pod.securityContext, {});
  const c = pod.containers[0]!;
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.equal(c.ports![0]!.protocol, 'TCP');
  assert.equal(c.env![0]!.valueFrom!.fieldRef!.apiVersion, 'v1');
  const probe = c.livenessProbe!;
  assert.deepEqual(
    [
      probe.timeoutSeconds,
      probe.periodSeconds,
      probe.successThreshold,
      probe.failureThreshold,
      probe.httpGet!.scheme,
    ],
    [1, 10, 1, 3, 'HTTP'],
  );
  assert.equal(pod.volumes![0]!.configMap!.defaultMode, 420);
  assert.equal(o.spec!.replicas, undefined, 'input untouched');
});

test('explicit values are kept, Recreate gets no rollingUpdate', () => {
  const o = parse(m.deploymentYaml) as Deployment;
  o.spec!.strategy = { type: 'Recreate' };
  o.spec!.replicas = 0;
  const d = defaulted<Deployment>(o).spec!;
  assert.deepEqual(d.strategy, { type: 'Recreate' });
  assert.equal(d.replicas, 0);
});

test('image pull policy follows the tag', () => {
  assert.equal(defaultPullPolicy('nginx'), 'Always');
  assert.equal(defaultPullPolicy('nginx:latest'), 'Always');
  assert.equal(defaultPullPolicy('nginx:1.27'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('localhost:5000/app'), 'Always');
  assert.equal(defaultPullPolicy('localhost:5000/app:v2'), 'IfNotPresent');
  assert.equal(defaultPullPolicy('nginx@sha256:abcd'), 'IfNotPresent');
});

test('ReplicaSet and DaemonSet defaults', () => {
  const rs = defaulted<ReplicaSet>({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'r' },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: { spec: { containers: [{ name: 'c', image: 'x' }] } },
    },
  }).spec!;
  assert.equal(rs.replicas, 1);
  assert.equal(rs.template!.spec!.containers[0]!.imagePullPolicy, 'Always');
  const ds = defaulted<DaemonSet>(m.daemonSetYaml).spec!;
  assert.deepEqual(ds.updateStrategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
  });
  assert.equal(ds.revisionHistoryLimit, 10);
});

test('Job defaults: completions and parallelism 1, backoffLimit 6, NonIndexed, generated selector', () => {
  const o = parse(m.jobYaml) as Job;
  const uid = '8c1d0f3e-0000-4000-8000-000000000001';
  o.metadata = { ...o.metadata, uid };
  const j = defaulted<Job>(o).spec!;
  assert.equal(j.completions, 1);
  assert.equal(j.parallelism, 1);
  assert.equal(j.backoffLimit, 4, 'explicit backoffLimit kept');
  assert.equal(j.completionMode, 'NonIndexed');
  assert.equal(j.suspend, false);
  assert.deepEqual(j.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
  assert.equal(j.template.metadata!.labels!['batch.kubernetes.io/job-name'], 'pi');
  assert.equal(j.template.spec!.restartPolicy, 'Never');
  const queue = parse(m.jobYaml) as Job;
  queue.spec!.parallelism = 3;
  delete queue.spec!.backoffLimit;
  const q = defaulted<Job>(queue).spec!;
  assert.equal(q.completions, undefined, 'a work queue job keeps completions unset');
  assert.equal(q.parallelism, 3);
  assert.equal(q.backoffLimit, 6);
});

test('a Job defaulted before its uid is known selects by job name', () => {
  const j = defaulted<Job>(m.jobYaml).spec!;
  assert.deepEqual(j.selector, { matchLabels: { 'batch.kubernetes.io/job-name': 'pi' } });
  assert.equal(j.template.metadata!.labels!['job-name'], 'pi');
  const t = registry.resolve('jobs')!;
  assert.deepEqual(t.validate(t.defaults(parse(m.jobYaml) as KubeObject)), []);
});

test('CronJob defaults', () => {
  const cj = defaulted<CronJob>(m.cronJobYaml).spec!;
  assert.equal(cj.concurrencyPolicy, 'Allow');
  assert.equal(cj.suspend, false);
  assert.equal(cj.successfulJobsHistoryLimit, 3);
  assert.equal(cj.failedJobsHistoryLimit, 1);
  const pod = cj.jobTemplate.spec!.template.spec!;
  assert.equal(pod.restartPolicy, 'OnFailure');
  assert.equal(pod.containers[0]!.imagePullPolicy, 'IfNotPresent');
  assert.equal(pod.dnsPolicy, 'ClusterFirst');
});

test('Pod defaults include pod-only fields; OnFailure and Never are kept', () => {
  const p = defaulted<Pod>(m.podYaml).spec!;
  assert.equal(p.restartPolicy, 'Always');
  assert.equal(p.enableServiceLinks, true);
  assert.equal(p.initContainers![0]!.imagePullPolicy, 'IfNotPresent');
  assert.equal(p.containers[0]!.readinessProbe!.periodSeconds, 10);
  const never = parse(m.podYaml) as Pod;
  never.spec!.restartPolicy = 'Never';
  never.spec!.containers[0]!.resources = { limits: { cpu: '500m' } };
  const n = defaulted<Pod>(never).spec!;
  assert.equal(n.restartPolicy, 'Never');
  assert.deepEqual(n.containers[0]!.resources!.requests, { cpu: '500m' });
});

test('Service defaults: ClusterIP, None affinity, TCP, targetPort = port', () => {
  const s = defaulted<Service>({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's', namespace: 'default' },
    spec: { ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] },
  }).spec!;
  assert.equal(s.type, 'ClusterIP');
  assert.equal(s.sessionAffinity, 'None');
  assert.deepEqual(s.ports, [
    { port: 80, protocol: 'TCP', targetPort: 80 },
    { port: 53, protocol: 'UDP', targetPort: 'dns' },
  ]);
});

test('Namespace, Secret defaults', () => {
  const ns = defaulted<Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
  assert.equal(ns.status!.phase, 'Active');
  assert.equal(ns.metadata!.labels!['kubernetes.io/metadata.name'], 'team-a');
  const s = defaulted<Secret>(m.secretYaml);
  assert.equal(s.type, 'Opaque');
  assert.equal(s.stringData, undefined);
  assert.equal(s.data!['username'], 'YWRtaW4=');
  assert.equal(s.data!['.secret-file'], 'dmFsdWUtMg0KDQo=');
});
