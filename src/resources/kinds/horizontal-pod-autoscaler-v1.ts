import type { HorizontalPodAutoscaler as V1 } from 'kubernetes-types/autoscaling/v1.js';
import type { HorizontalPodAutoscaler as V2 } from 'kubernetes-types/autoscaling/v2.js';
import type { KubeObject } from '../../common/kube-object.js';
import type { KindDefinition } from '../define-kind.js';
import { horizontalPodAutoscalerKind } from './horizontal-pod-autoscaler.js';

/** Where autoscaling/v1 keeps the v2 conditions, as kube-apiserver's conversion does. */
const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';

/**
 * An autoscaling/v1 HorizontalPodAutoscaler as the stored v2 object: the cpu target becomes a
 * Resource metric of type Utilization (none given: no metric, which v2's defaults make 80 %).
 */
export function hpaV1ToV2(object: KubeObject): KubeObject {
  const v1 = object as unknown as V1;
  const spec = v1.spec;
  const target = spec?.targetCPUUtilizationPercentage;
  const v2: V2 = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...(v1.metadata ?? {}) },
    spec: {
      scaleTargetRef: spec?.scaleTargetRef ?? { kind: '', name: '' },
      ...(spec?.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec?.maxReplicas ?? 0,
      ...(target !== undefined
        ? {
            metrics: [
              {
                type: 'Resource',
                resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } },
              },
            ],
          }
        : {}),
    },
  };
  if (v2.metadata?.annotations) {
    const { [CONDITIONS_ANNOTATION]: _dropped, ...rest } = v2.metadata.annotations;
    v2.metadata.annotations = rest;
  }
  return v2 as unknown as KubeObject;
}

/**
 * A stored v2 HorizontalPodAutoscaler as autoscaling/v1 shows it: the cpu Utilization target and
 * reading, the conditions in the `autoscaling.alpha.kubernetes.io/conditions` annotation. Other
 * metrics and `behavior` are not shown (kube-apiserver keeps them in annotations too).
 */
export function hpaV2ToV1(object: KubeObject): KubeObject {
  const v2 = object as unknown as V2;
  const cpu = v2.spec?.metrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  const current = v2.status?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  const annotations = { ...(v2.metadata?.annotations ?? {}) };
  if (v2.status?.conditions?.length)
    annotations[CONDITIONS_ANNOTATION] = JSON.stringify(v2.status.conditions);
  const status = v2.status;
  const v1: V1 = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...(v2.metadata ?? {}), ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: {
      scaleTargetRef: v2.spec?.scaleTargetRef ?? { kind: '', name: '' },
      ...(v2.spec?.minReplicas !== undefined ? { minReplicas: v2.spec.minReplicas } : {}),
      maxReplicas: v2.spec?.maxReplicas ?? 0,
      ...(cpu?.resource?.target.averageUtilization !== undefined
        ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization }
        : {}),
    },
    ...(status
      ? {
          status: {
            currentReplicas: status.currentReplicas ?? 0,
            desiredReplicas: status.desiredReplicas,
            ...(status.observedGeneration !== undefined
              ? { observedGeneration: status.observedGeneration }
              : {}),
            ...(status.lastScaleTime !== undefined ? { lastScaleTime: status.lastScaleTime } : {}),
            ...(current?.resource?.current.averageUtilization !== undefined
              ? { currentCPUUtilizationPercentage: current.resource.current.averageUtilization }
              : {}),
          },
        }
      : {}),
  };
  return v1 as unknown as KubeObject;
}

/**
 * autoscaling/v1 HorizontalPodAutoscaler, served for clients that still send it (`kubectl
 * autoscale` of kubectl ≤ 1.32 POSTs v1 in protobuf). Objects are stored as v2 (the preferred
 * version): a v1 create is converted to v2 before the v2 pipeline runs, and reads convert back.
 * Only create, get and list are served in v1; the rest is v2's.
 */
export const horizontalPodAutoscalerV1Kind: KindDefinition = {
  ...horizontalPodAutoscalerKind,
  version: 'v1',
  categories: [],
  subresources: [],
  verbs: ['create', 'get', 'list'],
  schemaRef: 'io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler',
  conversion: { toStorage: hpaV1ToV2, fromStorage: hpaV2ToV1 },
};
