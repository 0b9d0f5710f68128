import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { invalid, notSupported } from '../field-error.js';
import { formatLabelSelector, formatMapSelector } from '../label-selector.js';
import { defaultPodSpec } from '../pod-defaults.js';
import { ageColumn, column, containersAndImages, nameColumn, workloadWideColumns } from '../table.js';
import { isZero, selectorImmutable, validateIntOrPercent, validateWorkload } from '../workload.js';

/**
 * apps/v1 DaemonSet: updateStrategy RollingUpdate with maxUnavailable 1 and maxSurge 0, and
 * revisionHistoryLimit 10 by default; the selector matches the template and is immutable.
 */
export const daemonSetKind: KindDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  shortNames: ['ds'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status'],
  schemaRef: 'io.k8s.api.apps.v1.DaemonSet',
  defaults(object) {
    const ds = object as DaemonSet;
    if (!ds.spec) return;
    const us = (ds.spec.updateStrategy ??= {});
    us.type ??= 'RollingUpdate';
    if (us.type === 'RollingUpdate') {
      us.rollingUpdate ??= {};
      us.rollingUpdate.maxUnavailable ??= 1;
      us.rollingUpdate.maxSurge ??= 0;
    }
    ds.spec.revisionHistoryLimit ??= 10;
    defaultPodSpec(ds.spec.template?.spec);
  },
  validate(object, old) {
    const ds = object as DaemonSet;
    const errs: FieldError[] = validateWorkload(ds.spec, { kind: 'daemonset', restartPolicies: ['Always'] });
    const us = ds.spec?.updateStrategy;
    if (us?.type !== undefined && !['OnDelete', 'RollingUpdate'].includes(us.type)) {
      errs.push(notSupported('spec.updateStrategy.type', us.type, ['OnDelete', 'RollingUpdate']));
    }
    const ru = us?.rollingUpdate;
    if (ru && us.type === 'RollingUpdate') {
      errs.push(
        ...validateIntOrPercent(ru.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable'),
      );
      errs.push(...validateIntOrPercent(ru.maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge'));
      if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge ?? 0)) {
        errs.push(
          invalid(
            'spec.updateStrategy.rollingUpdate.maxUnavailable',
            ru.maxUnavailable,
            'may not be 0 when `maxSurge` is 0',
          ),
        );
      }
    }
    errs.push(...selectorImmutable(ds.spec, (old as DaemonSet | undefined)?.spec));
    return errs;
  },
  columns: [
    nameColumn,
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    column(
      'Current',
      'integer',
      'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
    ),
    column(
      'Ready',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
    ),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    column(
      'Available',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
    ),
    column(
      'Node Selector',
      'string',
      'NodeSelector is a selector which must be true for the pod to fit on a node.',
    ),
    ageColumn,
    ...workloadWideColumns,
  ],
  cells(object, now) {
    const ds = object as DaemonSet;
    const st = ds.status;
    const [containers, images] = containersAndImages(ds.spec?.template?.spec);
    return [
      ds.metadata?.name ?? '',
      st?.desiredNumberScheduled ?? 0,
      st?.currentNumberScheduled ?? 0,
      st?.numberReady ?? 0,
      st?.updatedNumberScheduled ?? 0,
      st?.numberAvailable ?? 0,
      formatMapSelector(ds.spec?.template?.spec?.nodeSelector),
      age(ds.metadata?.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};
