import type { Node } from 'kubernetes-types/core/v1.js';
import type { KindDefinition } from '../define-kind.js';
import { age } from '../age.js';
import type { FieldError } from '../resource-type.js';
import { duplicate, notSupported } from '../field-error.js';
import { validateLabels } from '../object-meta.js';
import { ageColumn, column, nameColumn } from '../table.js';

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Taints need a qualified-name key, a known effect, and one taint per key and effect. */
function validateTaints(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    errs.push(...validateLabels({ [t.key]: t.value ?? '' }, p));
    if (!EFFECTS.includes(t.effect)) errs.push(notSupported(`${p}.effect`, t.effect, EFFECTS));
    const k = `${t.key}\u0000${t.effect}`;
    if (seen.has(k)) errs.push(duplicate(p, `${t.key}:${t.effect}`));
    seen.add(k);
  });
  return errs;
}

/** The ROLES cell: `node-role.kubernetes.io/<role>` labels and `kubernetes.io/role`, sorted; `<none>`. */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

/** The STATUS cell: `Ready`, `NotReady` or `Unknown`, plus `SchedulingDisabled` when cordoned. */
export function nodeStatus(node: Node): string {
  const status: string[] = [];
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  status.push(ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** core/v1 Node: cluster-scoped, no defaults to speak of; taints are checked; the table is kubectl's. */
export const nodeKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  shortNames: ['no'],
  namespaced: false,
  subresources: ['status'],
  schemaRef: 'io.k8s.api.core.v1.Node',
  validate: (object) => validateTaints(object as Node),
  columns: [
    nameColumn,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of internal IPs.', { priority: 1 }),
    column('External-IP', 'string', 'List of external IPs.', { priority: 1 }),
    column(
      'OS-Image',
      'string',
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      { priority: 1 },
    ),
    column(
      'Kernel-Version',
      'string',
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      { priority: 1 },
    ),
    column(
      'Container-Runtime',
      'string',
      'Container Runtime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      { priority: 1 },
    ),
  ],
  cells(object, now) {
    const node = object as Node;
    const addr = (type: string): string =>
      (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
    const info = node.status?.nodeInfo;
    return [
      node.metadata?.name ?? '',
      nodeStatus(node),
      nodeRoles(node),
      age(node.metadata?.creationTimestamp, now),
      info?.kubeletVersion ?? '',
      addr('InternalIP'),
      addr('ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};
