import type {
  HPAScalingRules,
  HorizontalPodAutoscaler,
  MetricSpec,
  MetricStatus,
} from 'kubernetes-types/autoscaling/v2.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { invalid, notSupported, required } from '../field-error.js';
import { ageColumn, column, nameColumn } from '../table.js';

/** Upstream's default scale-up rules: no stabilization, the larger of +100 % and +4 pods per 15 s. */
export function defaultScaleUpRules(): HPAScalingRules {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', value: 100, periodSeconds: 15 },
      { type: 'Pods', value: 4, periodSeconds: 15 },
    ],
  };
}

/** Upstream's default scale-down rules: a 300 s stabilization window, any decrease (100 % per 15 s). */
export function defaultScaleDownRules(): HPAScalingRules {
  return {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

/** Fills a rule set's missing fields from upstream's defaults (SetDefaults_HPAScalingRules). */
function fillRules(rules: HPAScalingRules | undefined, defaults: HPAScalingRules): HPAScalingRules {
  if (rules === undefined) return defaults;
  rules.stabilizationWindowSeconds ??= defaults.stabilizationWindowSeconds ?? 0;
  rules.selectPolicy ??= 'Max';
  if (rules.policies === undefined || rules.policies.length === 0) rules.policies = defaults.policies ?? [];
  return rules;
}

const METRIC_TYPES = ['Resource', 'Pods', 'Object', 'External', 'ContainerResource'];
const TARGET_TYPES = ['Utilization', 'Value', 'AverageValue'];
const SELECT = ['Max', 'Min', 'Disabled'];

function validateRules(rules: HPAScalingRules | undefined, path: string): FieldError[] {
  if (rules === undefined) return [];
  const errs: FieldError[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (w !== undefined && (w < 0 || w > 3600))
    errs.push(invalid(`${path}.stabilizationWindowSeconds`, w, 'must be between 0 and 3600'));
  if (rules.selectPolicy !== undefined && !SELECT.includes(rules.selectPolicy))
    errs.push(notSupported(`${path}.selectPolicy`, rules.selectPolicy, SELECT));
  (rules.policies ?? []).forEach((p, i) => {
    const at = `${path}.policies[${i}]`;
    if (p.type !== 'Pods' && p.type !== 'Percent')
      errs.push(notSupported(`${at}.type`, p.type, ['Pods', 'Percent']));
    if (!(p.value > 0)) errs.push(invalid(`${at}.value`, p.value, 'must be greater than zero'));
    if (!(p.periodSeconds > 0 && p.periodSeconds <= 1800))
      errs.push(
        invalid(
          `${at}.periodSeconds`,
          p.periodSeconds,
          'must be greater than zero and less than or equal to 1800',
        ),
      );
  });
  return errs;
}

function validateMetric(m: MetricSpec, path: string): FieldError[] {
  if (!METRIC_TYPES.includes(m.type)) return [notSupported(`${path}.type`, m.type, METRIC_TYPES)];
  if (m.type !== 'Resource') return [];
  if (m.resource === undefined)
    return [required(`${path}.resource`, 'must populate information for the given metric source')];
  const errs: FieldError[] = [];
  const t = m.resource.target;
  if (!TARGET_TYPES.includes(t.type))
    errs.push(notSupported(`${path}.resource.target.type`, t.type, TARGET_TYPES));
  if (t.type === 'Utilization') {
    if (t.averageUtilization === undefined)
      errs.push(
        required(
          `${path}.resource.target.averageUtilization`,
          'must set averageUtilization for a Utilization target',
        ),
      );
    else if (t.averageUtilization < 1)
      errs.push(
        invalid(`${path}.resource.target.averageUtilization`, t.averageUtilization, 'must be greater than 0'),
      );
  }
  if (t.type === 'AverageValue' && t.averageValue === undefined)
    errs.push(
      required(`${path}.resource.target.averageValue`, 'must set averageValue for an AverageValue target'),
    );
  if (t.type === 'Value')
    errs.push(notSupported(`${path}.resource.target.type`, t.type, ['Utilization', 'AverageValue']));
  return errs;
}

/** One metric of kubectl's TARGETS column (`cpu: 12%/50%`, `memory: 100Mi/200Mi`, `<unknown>` before the first reading). */
function formatMetric(spec: MetricSpec, status: MetricStatus | undefined): string {
  if (spec.type !== 'Resource' || spec.resource === undefined) return `<unknown>/<unknown>`;
  const name = spec.resource.name;
  const t = spec.resource.target;
  const current = status?.resource?.current;
  if (t.averageValue !== undefined) {
    return `${name}: ${current?.averageValue !== undefined ? String(current.averageValue) : '<unknown>'}/${String(t.averageValue)}`;
  }
  const cur = current?.averageUtilization !== undefined ? `${current.averageUtilization}%` : '<unknown>';
  const target = t.averageUtilization !== undefined ? `${t.averageUtilization}%` : '<auto>';
  return `${name}: ${cur}/${target}`;
}

/** kube-apiserver's formatHPAMetrics: the first two metrics, then `+ N more...`; `<none>` when none. */
export function formatHpaTargets(hpa: HorizontalPodAutoscaler): string {
  const specs = hpa.spec?.metrics ?? [];
  if (specs.length === 0) return '<none>';
  const statuses = hpa.status?.currentMetrics ?? [];
  const shown = specs.slice(0, 2).map((s, i) => formatMetric(s, statuses[i]));
  const ret = shown.join(', ');
  return specs.length > 2 ? `${ret} + ${specs.length - 2} more...` : ret;
}

/**
 * autoscaling/v2 HorizontalPodAutoscaler. Defaults as Kubernetes: minReplicas 1, a cpu target of
 * 80 % utilization when no metric is given, and a given `behavior`'s missing rules and fields
 * from upstream's (scale-up 0 s window, max(+100 %, +4 pods) per 15 s; scale-down 300 s window,
 * −100 % per 15 s). Table as kubectl's: NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE.
 */
export const horizontalPodAutoscalerKind: KindDefinition = {
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  shortNames: ['hpa'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status'],
  schemaRef: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
  defaults(object) {
    const spec = (object as HorizontalPodAutoscaler).spec;
    if (!spec) return;
    spec.minReplicas ??= 1;
    if (spec.metrics === undefined || spec.metrics.length === 0) {
      spec.metrics = [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ];
    }
    if (spec.behavior !== undefined) {
      spec.behavior.scaleUp = fillRules(spec.behavior.scaleUp, defaultScaleUpRules());
      spec.behavior.scaleDown = fillRules(spec.behavior.scaleDown, defaultScaleDownRules());
    }
  },
  validate(object) {
    const spec = (object as HorizontalPodAutoscaler).spec;
    const errs: FieldError[] = [];
    if (!spec) return [required('spec')];
    if (!spec.scaleTargetRef?.kind) errs.push(required('spec.scaleTargetRef.kind'));
    if (!spec.scaleTargetRef?.name) errs.push(required('spec.scaleTargetRef.name'));
    const min = spec.minReplicas ?? 1;
    if (min < 1) errs.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
    if (!(spec.maxReplicas >= 1))
      errs.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than 0'));
    else if (spec.maxReplicas < min)
      errs.push(
        invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'),
      );
    (spec.metrics ?? []).forEach((m, i) => errs.push(...validateMetric(m, `spec.metrics[${i}]`)));
    errs.push(...validateRules(spec.behavior?.scaleUp, 'spec.behavior.scaleUp'));
    errs.push(...validateRules(spec.behavior?.scaleDown, 'spec.behavior.scaleDown'));
    return errs;
  },
  columns: [
    nameColumn,
    column('Reference', 'string', 'The reference to the scale target'),
    column('Targets', 'string', 'The current and target values of the metrics'),
    column('MinPods', 'string', 'The lower limit for the number of replicas'),
    column('MaxPods', 'integer', 'The upper limit for the number of replicas'),
    column('Replicas', 'integer', 'The current number of replicas'),
    ageColumn,
  ],
  cells(object, now) {
    const hpa = object as HorizontalPodAutoscaler;
    const ref = hpa.spec?.scaleTargetRef;
    return [
      hpa.metadata?.name ?? '',
      `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
      formatHpaTargets(hpa),
      hpa.spec?.minReplicas !== undefined ? String(hpa.spec.minReplicas) : '<unset>',
      hpa.spec?.maxReplicas ?? 0,
      hpa.status?.currentReplicas ?? 0,
      age(hpa.metadata?.creationTimestamp, now),
    ];
  },
};
