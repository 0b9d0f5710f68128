import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { invalid } from '../field-error.js';
import { ageColumn, column, nameColumn } from '../table.js';

/** coordination.k8s.io/v1 Lease: leader election and node heartbeats; durations must be positive. */
export const leaseKind: KindDefinition = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
  schemaRef: 'io.k8s.api.coordination.v1.Lease',
  validate(object) {
    const spec = (object as Lease).spec;
    const errs: FieldError[] = [];
    if (spec?.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0) {
      errs.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
    }
    if (spec?.leaseTransitions !== undefined && spec.leaseTransitions < 0) {
      errs.push(
        invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'),
      );
    }
    return errs;
  },
  columns: [nameColumn, column('Holder', 'string', 'The holder of the lease.'), ageColumn],
  cells(object, now) {
    const lease = object as Lease;
    return [
      lease.metadata?.name ?? '',
      lease.spec?.holderIdentity ?? '',
      age(lease.metadata?.creationTimestamp, now),
    ];
  },
};
