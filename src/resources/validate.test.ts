import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { ConfigMap, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import type { FieldError } from './resource-type.js';
import { createRegistry } from './registry.js';
import { formatFieldError, invalidMessage, InvalidObjectError } from './errors.js';
import * as m from './testdata/manifests.js';

const registry = createRegistry();
type Obj = KubeObject & { metadata: NonNullable<KubeObject['metadata']> };
function load<T = Obj>(y: string): T & Obj {
  return parse(y) as T & Obj;
}
const typeOf = (o: KubeObject) => registry.byKind(o.apiVersion ?? '', o.kind ?? '')!;
/** Defaults then validates, as the API server does; returns `field: message` lines. */
const check = (obj: object, oldObj?: object): string[] => {
  const o = obj as KubeObject;
  const old = oldObj as KubeObject | undefined;
  const t = typeOf(o);
  return t.validate(t.defaults(o), old && t.defaults(old)).map(formatFieldError);
};

test('every example manifest is valid after defaulting', () => {
  for (const y of Object.values(m)) {
    const o = load(y);
    if (o.kind === 'Job') o.metadata.uid = 'a9f0e3c2-0000-4000-8000-000000000000';
    assert.deepEqual(check(o), [], `${o.kind}`);
    const t = typeOf(o);
    const defaulted = t.defaults(o);
    const before = JSON.stringify(defaulted);
    t.validate(defaulted, defaulted);
    assert.equal(JSON.stringify(defaulted), before, `validating a ${o.kind} leaves it unchanged`);
  }
});

test('object names follow DNS-1123 (Services DNS-1035) rules, in Kubernetes words', () => {
  const d = load<Deployment>(m.deploymentYaml);
  d.metadata.name = 'Foo';
  assert.deepEqual(check(d), [
    `metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  ]);
  const s = load<Service>(m.serviceYaml);
  s.metadata.name = 'my.service';
  assert.deepEqual(check(s), [
    `metadata.name: Invalid value: "my.service": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
  ]);
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a'.repeat(64) } } as Obj;
  assert.equal(
    check(ns)[0],
    'metadata.name: Invalid value: "' + 'a'.repeat(64) + '": must be no more than 63 characters',
  );
  const noName = load(m.configMapYaml);
  delete noName.metadata.name;
  assert.deepEqual(check(noName), ['metadata.name: Required value: name or generateName is required']);
  noName.metadata.generateName = 'game-';
  assert.deepEqual(check(noName), []);
  const clusterScoped = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', namespace: 'default' },
  } as Obj;
  assert.deepEqual(check(clusterScoped), ['metadata.namespace: Forbidden: not allowed on this type']);
});

test('label keys and values are checked', () => {
  const c = load<ConfigMap>(m.configMapYaml);
  c.metadata.labels = { 'example.com/ok': 'yes', 'bad key': 'v', app: '-bad-' };
  const errs = check(c);
  assert.equal(errs.length, 2);
  assert.match(
    errs[0]!,
    /^metadata\.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/,
  );
  assert.match(
    errs[1]!,
    /^metadata\.labels: Invalid value: "-bad-": a valid label must be an empty string or consist of/,
  );
});

test('workloads: selector must match the template labels', () => {
  const d = load<Deployment>(m.deploymentYaml);
  d.spec!.template.metadata!.labels = { app: 'other', tier: 'web' };
  assert.deepEqual(check(d), [
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"web"}: `selector` does not match template `labels`',
  ]);
  delete (d.spec as { selector?: unknown }).selector;
  assert.deepEqual(check(d), ['spec.selector: Required value']);
  d.spec!.selector = {};
  assert.deepEqual(check(d), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  ]);
});

test('workloads: replicas, containers, images, names, ports, restart policy', () => {
  const d = load<Deployment>(m.deploymentYaml);
  d.spec!.replicas = -1;
  d.spec!.template.spec!.restartPolicy = 'Never';
  d.spec!.template.spec!.containers.push({ name: 'nginx', ports: [{ containerPort: 70000, name: 'Http' }] });
  assert.deepEqual(check(d), [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    'spec.template.spec.containers[1].image: Required value',
    'spec.template.spec.containers[1].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.template.spec.containers[1].ports[0].name: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'spec.template.spec.containers[1].name: Duplicate value: "nginx"',
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
  ]);
  d.spec!.template.spec!.containers = [];
  assert.ok(check(d).includes('spec.template.spec.containers: Required value'));
  const p = load<Pod>(m.podYaml);
  p.spec!.containers[0]!.name = 'Web_1';
  p.spec!.containers[0]!.volumeMounts = [{ name: 'missing', mountPath: '/x' }];
  p.spec!.restartPolicy = 'Sometimes';
  assert.deepEqual(check(p), [
    "spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    'spec.containers[0].volumeMounts[0].name: Not found: "missing"',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ]);
});

test('required fields from the schema are reported (container name)', () => {
  const d = load<Deployment>(m.deploymentYaml);
  delete (d.spec!.template.spec!.containers[0] as { name?: string }).name;
  assert.deepEqual(check(d), ['spec.template.spec.containers[0].name: Required value']);
});

test('Deployment strategy rules', () => {
  const d = load<Deployment>(m.deploymentYaml);
  d.spec!.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } };
  assert.deepEqual(check(d), [
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
  ]);
  d.spec!.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } };
  assert.deepEqual(check(d), [
    "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
  ]);
  d.spec!.strategy = { rollingUpdate: { maxSurge: '150%' } };
  assert.deepEqual(check(d), [
    'spec.strategy.rollingUpdate.maxSurge: Invalid value: "150%": must not be greater than 100%',
  ]);
});

test('immutable fields: Deployment selector, Job template, Service clusterIP', () => {
  const old = load<Deployment>(m.deploymentYaml);
  const d = load<Deployment>(m.deploymentYaml);
  d.spec!.selector = { matchLabels: { app: 'nginx', v: '2' } };
  d.spec!.template.metadata!.labels = { app: 'nginx', v: '2' };
  assert.deepEqual(check(d, old), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"nginx", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  const oldJob = load<Job>(m.jobYaml);
  oldJob.metadata.uid = 'u1';
  const job = load<Job>(m.jobYaml);
  job.metadata.uid = 'u1';
  job.spec!.template.spec!.containers[0]!.image = 'perl:5.36';
  assert.deepEqual(check(job, oldJob), [
    'spec.template: Invalid value: core.PodTemplateSpec{…}: field is immutable',
  ]);
  const oldSvc = load<Service>(m.serviceYaml);
  oldSvc.spec!.clusterIP = '10.96.0.10';
  oldSvc.spec!.clusterIPs = ['10.96.0.10'];
  const svc = load<Service>(m.serviceYaml);
  svc.spec!.clusterIP = '10.96.0.11';
  svc.spec!.clusterIPs = ['10.96.0.11'];
  assert.deepEqual(check(svc, oldSvc), [
    'spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set',
  ]);
  svc.spec!.clusterIP = '10.96.0.10';
  svc.spec!.clusterIPs = ['10.96.0.10'];
  assert.deepEqual(check(svc, oldSvc), []);
});

test('Job and CronJob rules', () => {
  const j = load<Job>(m.jobYaml);
  j.metadata.uid = 'u1';
  j.spec!.template.spec!.restartPolicy = 'Always';
  assert.deepEqual(check(j), [
    'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
  ]);
  const cj = load<CronJob>(m.cronJobYaml);
  cj.spec!.schedule = '* * * *';
  cj.spec!.concurrencyPolicy = 'Sometimes';
  assert.deepEqual(check(cj), [
    'spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]',
    'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
  ]);
  cj.spec!.schedule = 'CRON_TZ=UTC 0 * * * *';
  cj.spec!.concurrencyPolicy = 'Forbid';
  cj.spec!.timeZone = 'Not/AZone';
  assert.deepEqual(check(cj), [
    'spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule',
    'spec.timeZone: Invalid value: "Not/AZone": unknown time zone Not/AZone',
  ]);
  delete cj.spec!.timeZone;
  assert.deepEqual(check(cj), []);
});

test('Service rules: ports, names, types', () => {
  const s = load<Service>(m.serviceYaml);
  s.spec!.ports![0]!.port = 0;
  delete s.spec!.ports![1]!.name;
  s.spec!.type = 'Magic';
  assert.deepEqual(check(s), [
    'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[1].name: Required value',
    'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  ]);
  const dup = load<Service>(m.serviceYaml);
  dup.spec!.ports![1]!.name = 'http';
  assert.deepEqual(check(dup), ['spec.ports[1].name: Duplicate value: "http"']);
  const ext = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'db', namespace: 'd' },
    spec: { type: 'ExternalName' },
  } as Obj;
  assert.deepEqual(check(ext), ['spec.externalName: Required value']);
});

test('ConfigMap and Secret keys; Secret data must be base64', () => {
  const c = load<ConfigMap>(m.configMapYaml);
  c.data!['bad key!'] = 'x';
  assert.deepEqual(check(c), [
    `data[bad key!]: Invalid value: "bad key!": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
  ]);
  const big = load<ConfigMap>(m.configMapYaml);
  big.data!['blob'] = 'x'.repeat(1024 * 1024);
  assert.deepEqual(check(big), ['data: Too long: must have at most 1048576 bytes']);
  const s = load<Secret>(m.secretYaml);
  s.data!['token'] = 'not base64!';
  assert.deepEqual(check(s), [
    'data[token]: Invalid value: "<secret contents redacted>": illegal base64 data',
  ]);
  const old = load<Secret>(m.secretYaml);
  old.immutable = true;
  const changed = load<Secret>(m.secretYaml);
  changed.immutable = true;
  changed.data!['.secret-file'] = 'YQ==';
  assert.deepEqual(check(changed, old), ['data: Forbidden: field is immutable when `immutable` is set']);
});

test('Bucket, RuntimeClass, Lease', () => {
  const b = {
    apiVersion: 'storage.stratus.dev/v1',
    kind: 'Bucket',
    metadata: { name: 'photos' },
    spec: { owner: 'alice', versioning: 'On' },
  } as Obj;
  assert.deepEqual(check(b), [
    'spec.versioning: Unsupported value: "On": supported values: "Enabled", "Suspended"',
  ]);
  (b['spec'] as { versioning: string }).versioning = 'Enabled';
  assert.deepEqual(check(b), []);
  const rc = { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'vm' } } as Obj;
  assert.deepEqual(check(rc), ['handler: Required value']);
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'n1', namespace: 'kube-node-lease' },
    spec: { leaseDurationSeconds: 0 },
  } as Obj;
  assert.deepEqual(check(lease), ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
});

test('InvalidObjectError carries the causes and Kubernetes message', () => {
  const causes: FieldError[] = [
    { reason: 'FieldValueRequired', field: 'spec.selector', message: 'Required value' },
  ];
  const e = new InvalidObjectError('Deployment.apps', 'web', causes);
  assert.equal(e.status, 422);
  assert.equal(e.code, 'RESOURCE_INVALID');
  assert.equal(e.message, 'Deployment.apps "web" is invalid: spec.selector: Required value');
  assert.equal(
    invalidMessage('Pod', 'p', [
      ...causes,
      { reason: 'FieldValueRequired', field: 'spec.x', message: 'Required value' },
    ]),
    'Pod "p" is invalid: [spec.selector: Required value, spec.x: Required value]',
  );
});

test('Pod updates may change images, not the rest of the spec; nodeName is set once', () => {
  const old = load<Pod>(m.podYaml);
  const image = load<Pod>(m.podYaml);
  image.spec!.containers[0]!.image = 'nginx:1.27';
  image.spec!.containers[0]!.imagePullPolicy = 'Always'; // as stored: a patch keeps the old default
  image.spec!.tolerations = [{ key: 'k', operator: 'Exists' }];
  assert.deepEqual(check(image, old), []);
  const bound = load<Pod>(m.podYaml);
  bound.spec!.nodeName = 'node-1';
  assert.deepEqual(check(bound, old), []);
  const moved = load<Pod>(m.podYaml);
  moved.spec!.nodeName = 'node-2';
  assert.equal(check(moved, bound).length, 1);
  const ports = load<Pod>(m.podYaml);
  ports.spec!.containers[0]!.ports = [{ containerPort: 81 }];
  const errs = check(ports, old);
  assert.equal(errs.length, 1);
  assert.match(
    errs[0]!,
    /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/,
  );
  const status = load<Pod>(m.podYaml);
  (status as Obj)['status'] = { phase: 'Running' };
  assert.deepEqual(check(status, old), [], 'status and metadata changes are not spec changes');
});

test('Node taints need a known effect and are unique per key and effect', () => {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1' },
    spec: {
      taints: [
        { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
        { key: 'dedicated', value: 'other', effect: 'NoSchedule' },
        { key: 'x', effect: 'Sometimes' },
      ],
    },
  };
  assert.deepEqual(check(node), [
    'spec.taints[1]: Duplicate value: "dedicated:NoSchedule"',
    'spec.taints[2].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
  ]);
});
