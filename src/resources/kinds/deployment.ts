import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { forbidden, invalid, notSupported } from '../field-error.js';
import { formatLabelSelector } from '../label-selector.js';
import { defaultPodSpec } from '../pod-defaults.js';
import { ageColumn, column, containersAndImages, nameColumn, workloadWideColumns } from '../table.js';
import { isZero, selectorImmutable, validateIntOrPercent, validateWorkload } from '../workload.js';

/**
 * apps/v1 Deployment. Defaults as Kubernetes: replicas 1, RollingUpdate 25%/25%,
 * revisionHistoryLimit 10, progressDeadlineSeconds 600, and the template's PodSpec defaults.
 * The selector must match the template's labels and is immutable; templates restart Always.
 */
export const deploymentKind: KindDefinition = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  shortNames: ['deploy'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status', 'scale'],
  schemaRef: 'io.k8s.api.apps.v1.Deployment',
  scale: {
    specReplicasPath: '.spec.replicas',
    statusReplicasPath: '.status.replicas',
    labelSelectorPath: '.spec.selector',
  },
  defaults(object) {
    const d = object as Deployment;
    if (!d.spec) return;
    const spec = d.spec;
    spec.replicas ??= 1;
    spec.strategy ??= {};
    spec.strategy.type ??= 'RollingUpdate';
    if (spec.strategy.type === 'RollingUpdate') {
      spec.strategy.rollingUpdate ??= {};
      spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
      spec.strategy.rollingUpdate.maxSurge ??= '25%';
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    defaultPodSpec(spec.template?.spec);
  },
  validate(object, old) {
    const d = object as Deployment;
    const spec = d.spec;
    const errs: FieldError[] = validateWorkload(spec, { kind: 'deployment', restartPolicies: ['Always'] });
    const strategy = spec?.strategy;
    if (strategy?.type !== undefined && !['Recreate', 'RollingUpdate'].includes(strategy.type)) {
      errs.push(notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']));
    }
    if (strategy?.type === 'Recreate' && strategy.rollingUpdate) {
      errs.push(
        forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"),
      );
    }
    const ru = strategy?.rollingUpdate;
    if (ru && strategy.type !== 'Recreate') {
      errs.push(...validateIntOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
      errs.push(...validateIntOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
      if (isZero(ru.maxSurge) && isZero(ru.maxUnavailable)) {
        errs.push(
          invalid(
            'spec.strategy.rollingUpdate.maxUnavailable',
            ru.maxUnavailable,
            'may not be 0 when `maxSurge` is 0',
          ),
        );
      }
    }
    for (const f of ['revisionHistoryLimit', 'minReadySeconds'] as const) {
      const v = spec?.[f];
      if (v !== undefined && v < 0) errs.push(invalid(`spec.${f}`, v, 'must be greater than or equal to 0'));
    }
    const pds = spec?.progressDeadlineSeconds;
    if (pds !== undefined && pds <= (spec?.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
    }
    errs.push(...selectorImmutable(spec, (old as Deployment | undefined)?.spec));
    return errs;
  },
  columns: [
    nameColumn,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column(
      'Up-to-date',
      'integer',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    ),
    column(
      'Available',
      'integer',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    ageColumn,
    ...workloadWideColumns,
  ],
  cells(object, now) {
    const d = object as Deployment;
    const [containers, images] = containersAndImages(d.spec?.template?.spec);
    return [
      d.metadata?.name ?? '',
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(d.metadata?.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(d.spec?.selector),
    ];
  },
};
