import type { RuntimeClass } from 'kubernetes-types/node/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { invalid, required } from '../field-error.js';
import { isDns1123Label } from '../names.js';
import { ageColumn, column, nameColumn } from '../table.js';

/**
 * node.k8s.io/v1 RuntimeClass: names the runtime (`process`, `runc`, `vm`) that pods with
 * `spec.runtimeClassName` run under. The handler is a DNS label and immutable.
 */
export const runtimeClassKind: KindDefinition = {
  group: 'node.k8s.io',
  version: 'v1',
  kind: 'RuntimeClass',
  plural: 'runtimeclasses',
  namespaced: false,
  schemaRef: 'io.k8s.api.node.v1.RuntimeClass',
  validate(object, old) {
    const rc = object as unknown as RuntimeClass;
    const errs: FieldError[] = [];
    if (!rc.handler) errs.push(required('handler'));
    else for (const m of isDns1123Label(rc.handler)) errs.push(invalid('handler', rc.handler, m));
    const before = old as unknown as RuntimeClass | undefined;
    if (before && before.handler !== rc.handler)
      errs.push(invalid('handler', rc.handler, 'field is immutable'));
    return errs;
  },
  columns: [
    nameColumn,
    column(
      'Handler',
      'string',
      'Handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class.',
    ),
    ageColumn,
  ],
  cells(object, now) {
    const rc = object as unknown as RuntimeClass;
    return [rc.metadata?.name ?? '', rc.handler ?? '', age(rc.metadata?.creationTimestamp, now)];
  },
};
