import { stringify } from 'yaml';
import type { KubeObject } from '../common/kube-object.js';
import { humanDuration } from './table-printer.js';
// The pure file, not the agent's index: describing must not load the agent and its runtime.
import { hostPortKey, parseHostPorts } from '../machinery/index.js';

type Json = Record<string, unknown>;
/** A described field: a key and a value (a line, several lines, or a nested block). */
type Field = [key: string, value: string | string[] | Field[]];

/**
 * A readable, kubectl-like description of an object: its metadata, a summary of the spec and
 * status for the common kinds (Deployment, ReplicaSet, Pod, Service, ConfigMap, Job, CronJob,
 * Node; others show their spec as YAML), its conditions, and the Events about it, newest last.
 * Pure: the caller fetches the object and its events; `now` is for ages.
 */
export function describeObject(object: KubeObject, events: readonly KubeObject[], now: number): string {
  const meta = object.metadata;
  const fields: Field[] = [['Name', meta.name ?? '']];
  if (meta.namespace) fields.push(['Namespace', meta.namespace]);
  fields.push(['Labels', mapLines(meta.labels)]);
  fields.push(['Annotations', mapLines(meta.annotations)]);
  if (meta.creationTimestamp) fields.push(['CreationTimestamp', meta.creationTimestamp]);
  const owner = meta.ownerReferences?.find((o) => o.controller);
  if (owner) fields.push(['Controlled By', `${owner.kind}/${owner.name}`]);
  fields.push(...kindFields(object));
  let out = render(fields, 0);
  const conditions = (obj(object['status'])['conditions'] ?? []) as Json[];
  if (Array.isArray(conditions) && conditions.length > 0) {
    out += 'Conditions:\n';
    out += grid(
      ['Type', 'Status', 'Reason', 'Message'],
      conditions.map((c) => [str(c['type']), str(c['status']), str(c['reason']), str(c['message'])]),
    );
  }
  out += events.length === 0 ? 'Events:  <none>\n' : 'Events:\n' + grid(...eventRows(events, now));
  return out;
}

function kindFields(o: KubeObject): Field[] {
  const spec = obj(o['spec']);
  const status = obj(o['status']);
  switch (o.kind) {
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet': {
      const f: Field[] = [['Selector', selector(spec['selector'])]];
      if (o.kind === 'Deployment') {
        const n = (k: string): string => str(status[k] ?? 0);
        f.push([
          'Replicas',
          `${str(spec['replicas'])} desired | ${n('updatedReplicas')} updated | ${n('replicas')} total | ${n('availableReplicas')} available | ${n('unavailableReplicas')} unavailable`,
        ]);
        f.push(['StrategyType', str(obj(spec['strategy'])['type'])]);
      } else if (o.kind !== 'DaemonSet') {
        f.push(['Replicas', `${str(status['replicas'] ?? 0)} current / ${str(spec['replicas'])} desired`]);
      }
      f.push(['Pod Template', podTemplate(obj(spec['template']))]);
      return f;
    }
    case 'Pod':
      return [
        ['Node', str(spec['nodeName'])],
        ['Status', str(status['phase'])],
        ['IP', str(status['podIP'])],
        [
          'Containers',
          containers(
            arr(spec['containers']),
            arr(status['containerStatuses']),
            parseHostPorts(o.metadata.annotations),
          ),
        ],
      ];
    case 'Service': {
      const ports = arr(spec['ports']).map(
        (p) =>
          `${str(p['name'])} ${String(p['port'])}/${str(p['protocol'] ?? 'TCP')} -> ${String(p['targetPort'] ?? p['port'])}`,
      );
      return [
        ['Selector', mapInline(obj(spec['selector']))],
        ['Type', str(spec['type'] ?? 'ClusterIP')],
        ['IP', str(spec['clusterIP'])],
        ['Port(s)', ports.length ? ports : '<none>'],
      ];
    }
    case 'ConfigMap':
    case 'Secret': {
      const data = obj(o['data']);
      const keys = Object.keys(data).sort();
      const shown =
        o.kind === 'Secret'
          ? keys.map((k) => `${k}: ${str(data[k]).length} bytes (base64)`)
          : keys.map((k) => `${k}: ${str(data[k])}`);
      return [['Data', shown.length ? shown : '<none>']];
    }
    case 'Job':
      return [
        ['Parallelism', str(spec['parallelism'] ?? 1)],
        ['Completions', str(spec['completions'] ?? 1)],
        ['Start Time', str(status['startTime'])],
        [
          'Pods Statuses',
          `${str(status['active'] ?? 0)} Active / ${str(status['succeeded'] ?? 0)} Succeeded / ${str(status['failed'] ?? 0)} Failed`,
        ],
        ['Pod Template', podTemplate(obj(spec['template']))],
      ];
    case 'CronJob':
      return [
        ['Schedule', str(spec['schedule'])],
        ['Concurrency Policy', str(spec['concurrencyPolicy'] ?? 'Allow')],
        ['Suspend', str(spec['suspend'] ?? false)],
        ['Last Schedule Time', str(status['lastScheduleTime'])],
        [
          'Active Jobs',
          arr(status['active'])
            .map((r) => str(r['name']))
            .join(', ') || '<none>',
        ],
      ];
    case 'Node':
      return [
        ['Addresses', arr(status['addresses']).map((a) => `${str(a['type'])}: ${str(a['address'])}`)],
        ['Capacity', mapLines(obj(status['capacity']) as Record<string, string>)],
        ['Allocatable', mapLines(obj(status['allocatable']) as Record<string, string>)],
        ['Unschedulable', str(spec['unschedulable'] ?? false)],
      ];
    default:
      return o['spec'] === undefined ? [] : [['Spec', stringify(o['spec']).trimEnd().split('\n')]];
  }
}

function podTemplate(template: Json): Field[] {
  const spec = obj(template['spec']);
  return [
    ['Labels', mapLines(obj(obj(template['metadata'])['labels']) as Record<string, string>)],
    ['Containers', containers(arr(spec['containers']), [])],
  ];
}

/** Containers as kubectl describes them; `hostPorts` is the pod's `stratus.dev/host-ports` map. */
function containers(list: Json[], statuses: Json[], hostPorts?: Record<string, number>): Field[] {
  return list.map((c): Field => {
    const f: Field[] = [['Image', str(c['image'])]];
    const declared = arr(c['ports']);
    const ports = declared.map((p) => `${String(p['containerPort'])}/${str(p['protocol'] ?? 'TCP')}`);
    f.push(['Port', ports.length ? ports.join(', ') : '<none>']);
    if (hostPorts !== undefined && declared.length > 0) {
      // As kubectl's "Host Port" line, but with the port the agent really gave (0 until it has).
      const host = declared.map((p) => {
        const key = hostPortKey(str(c['name']), {
          ...(typeof p['name'] === 'string' ? { name: p['name'] } : {}),
          containerPort: Number(p['containerPort']),
        });
        const declaredHost = typeof p['hostPort'] === 'number' ? p['hostPort'] : 0;
        return `${hostPorts[key] ?? declaredHost}/${str(p['protocol'] ?? 'TCP')}`;
      });
      f.push(['Host Port', host.join(', ')]);
    }
    if (c['command'])
      f.push(['Command', (c['command'] as unknown[]).map((x) => str(x).split('\n', 1)[0] ?? '')]);
    const env = arr(c['env']).map(
      (e) => `${str(e['name'])}: ${e['value'] === undefined ? '(from reference)' : str(e['value'])}`,
    );
    const envFrom = arr(c['envFrom']).map((e) => {
      const ref = obj(e['configMapRef'] ?? e['secretRef']);
      return `${str(ref['name'])} ${e['configMapRef'] ? 'ConfigMap' : 'Secret'}`;
    });
    if (envFrom.length) f.push(['Environment Variables from', envFrom]);
    f.push(['Environment', env.length ? env : '<none>']);
    const probe = obj(c['readinessProbe']);
    const http = obj(probe['httpGet']);
    if (http['port'] !== undefined)
      f.push(['Readiness', `http-get http://:${str(http['port'])}${str(http['path'] ?? '/')}`]);
    const s = statuses.find((x) => x['name'] === c['name']);
    if (s) {
      f.push(['State', Object.keys(obj(s['state']))[0] ?? '<none>']);
      f.push(['Ready', str(s['ready'] ?? false)]);
      f.push(['Restart Count', str(s['restartCount'] ?? 0)]);
    }
    return [str(c['name']), f];
  });
}

function eventRows(events: readonly KubeObject[], now: number): [string[], string[][], string[]] {
  const when = (e: KubeObject): number =>
    Date.parse(
      str(e['lastTimestamp'] || e['eventTime'] || e['firstTimestamp'] || e.metadata.creationTimestamp || ''),
    );
  const sorted = [...events].sort((a, b) => (when(a) || 0) - (when(b) || 0));
  const rows = sorted.map((e) => {
    const last = when(e);
    let age = Number.isNaN(last) ? '<unknown>' : humanDuration(now - last);
    const count = Number(e['count'] ?? 1);
    const first = Date.parse(str(e['firstTimestamp'] ?? ''));
    if (count > 1 && !Number.isNaN(first)) age += ` (x${count} over ${humanDuration(now - first)})`;
    const source = obj(e['source']);
    const from = str(source['component'] || e['reportingController'] || '');
    return [str(e['type']), str(e['reason']), age, from, str(e['message'])];
  });
  return [['Type', 'Reason', 'Age', 'From', 'Message'], rows, ['----', '------', '----', '----', '-------']];
}

/** A header, a dashed rule and rows, aligned as kubectl's describe prints events. */
function grid(header: string[], rows: string[][], rule = header.map((h) => '-'.repeat(h.length))): string {
  const all = [header, rule, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)) + 2);
  return all
    .map(
      (r) =>
        '  ' +
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
          .join('')
          .trimEnd() +
        '\n',
    )
    .join('');
}

function render(fields: Field[], indent: number, step = 2): string {
  const pad = ' '.repeat(indent);
  const width = Math.max(0, ...fields.filter(([, v]) => !isBlock(v)).map(([k]) => k.length + 1)) + 2;
  let out = '';
  for (const [key, value] of fields) {
    if (isBlock(value)) {
      // kubectl puts each container's name one space in and its fields one more.
      out +=
        `${pad}${key}:\n` +
        (key.endsWith('Containers') ? render(value, indent + 1, 1) : render(value, indent + step));
      continue;
    }
    const lines = typeof value === 'string' ? [value] : value.length ? value : ['<none>'];
    lines.forEach((line, i) => {
      out += (i === 0 ? `${pad}${`${key}:`.padEnd(width)}` : ' '.repeat(indent + width)) + line + '\n';
    });
  }
  return out;
}

function isBlock(v: Field[1]): v is Field[] {
  return Array.isArray(v) && v.length > 0 && Array.isArray(v[0]);
}

function mapLines(map: Record<string, string> | undefined): string[] {
  const keys = Object.keys(map ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${map?.[k] ?? ''}`) : ['<none>'];
}

function mapInline(map: Json): string {
  const keys = Object.keys(map).sort();
  return keys.length ? keys.map((k) => `${k}=${str(map[k])}`).join(',') : '<none>';
}

function selector(sel: unknown): string {
  const s = obj(sel);
  const parts = Object.entries(obj(s['matchLabels'])).map(([k, v]) => `${k}=${str(v)}`);
  for (const e of arr(s['matchExpressions'])) {
    parts.push(
      `${str(e['key'])} ${str(e['operator']).toLowerCase()} (${(e['values'] as string[] | undefined)?.join(',') ?? ''})`,
    );
  }
  return parts.join(',') || '<none>';
}

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function arr(v: unknown): Json[] {
  return Array.isArray(v) ? (v as unknown[]).map(obj) : [];
}

function str(v: unknown): string {
  if (v === undefined || v === null || v === '') return '<none>';
  return typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : JSON.stringify(v);
}
