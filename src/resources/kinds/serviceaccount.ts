import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { KindDefinition } from '../define-kind.js';
import { age } from '../age.js';
import { ageColumn, column, nameColumn } from '../table.js';

/**
 * core/v1 ServiceAccount: an identity for processes in pods. The `token` subresource is the
 * TokenRequest API (`kubectl create token NAME`); every namespace gets a `default` one.
 */
export const serviceAccountKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  shortNames: ['sa'],
  namespaced: true,
  subresources: ['token'],
  schemaRef: 'io.k8s.api.core.v1.ServiceAccount',
  columns: [
    nameColumn,
    column('Secrets', 'string', 'The number of secrets of the service account'),
    ageColumn,
  ],
  cells(object, now) {
    const sa = object as ServiceAccount;
    return [sa.metadata?.name ?? '', (sa.secrets ?? []).length, age(sa.metadata?.creationTimestamp, now)];
  },
};
