import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { KindDefinition } from '../define-kind.js';
import { age } from '../age.js';
import { ageColumn, column, nameColumn } from '../table.js';

/** core/v1 Namespace: a DNS-label name, `status.phase: Active` by default, and the `kubernetes` finalizer. */
export const namespaceKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  shortNames: ['ns'],
  namespaced: false,
  subresources: ['status'],
  schemaRef: 'io.k8s.api.core.v1.Namespace',
  nameRule: 'label',
  defaults(object) {
    const ns = object as Namespace;
    ns.status ??= {};
    ns.status.phase ??= 'Active';
    ns.metadata ??= {};
    ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name ?? '' };
  },
  columns: [nameColumn, column('Status', 'string', 'The status of the namespace'), ageColumn],
  cells(object, now) {
    const ns = object as Namespace;
    return [ns.metadata?.name ?? '', ns.status?.phase ?? '', age(ns.metadata?.creationTimestamp, now)];
  },
};
