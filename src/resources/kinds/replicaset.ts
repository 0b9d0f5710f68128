import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { KindDefinition } from '../define-kind.js';
import { age } from '../age.js';
import { formatLabelSelector } from '../label-selector.js';
import { defaultPodSpec } from '../pod-defaults.js';
import { ageColumn, column, containersAndImages, nameColumn, workloadWideColumns } from '../table.js';
import { selectorImmutable, validateWorkload } from '../workload.js';

/** apps/v1 ReplicaSet: replicas 1 by default; the selector matches the template and is immutable. */
export const replicaSetKind: KindDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  shortNames: ['rs'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status', 'scale'],
  schemaRef: 'io.k8s.api.apps.v1.ReplicaSet',
  scale: {
    specReplicasPath: '.spec.replicas',
    statusReplicasPath: '.status.replicas',
    labelSelectorPath: '.spec.selector',
  },
  defaults(object) {
    const rs = object as ReplicaSet;
    if (!rs.spec) return;
    rs.spec.replicas ??= 1;
    defaultPodSpec(rs.spec.template?.spec);
  },
  validate(object, old) {
    const rs = object as ReplicaSet;
    return [
      ...validateWorkload(rs.spec, { kind: 'replicaset', restartPolicies: ['Always'] }),
      ...selectorImmutable(rs.spec, (old as ReplicaSet | undefined)?.spec),
    ];
  },
  columns: [
    nameColumn,
    column('Desired', 'integer', 'Number of desired pods.'),
    column('Current', 'integer', 'Number of actual replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    ageColumn,
    ...workloadWideColumns,
  ],
  cells(object, now) {
    const rs = object as ReplicaSet;
    const [containers, images] = containersAndImages(rs.spec?.template?.spec);
    return [
      rs.metadata?.name ?? '',
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      age(rs.metadata?.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};
