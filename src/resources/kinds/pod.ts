import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../common/kube-object.js';
import type { KindDefinition } from '../define-kind.js';
import { age } from '../age.js';
import { defaultPodOnly, defaultPodSpec } from '../pod-defaults.js';
import { summarizePod } from '../pod-status.js';
import { validatePodSpec } from '../pod-spec-validation.js';
import { ageColumn, column, nameColumn } from '../table.js';
import { validatePodSpecUpdate } from '../pod-update.js';

/**
 * core/v1 Pod. Defaults and validation follow Kubernetes' PodSpec rules; on update only the
 * mutable fields (container images, activeDeadlineSeconds, added tolerations, nodeName once,
 * removed scheduling gates) may change; the table is kubectl's.
 */
export const podKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  shortNames: ['po'],
  namespaced: true,
  categories: ['all'],
  subresources: ['status', 'log', 'binding', 'eviction', 'exec', 'attach', 'portforward'],
  schemaRef: 'io.k8s.api.core.v1.Pod',
  defaults(object) {
    const pod = object as Pod;
    defaultPodSpec(pod.spec);
    defaultPodOnly(pod.spec);
  },
  validate(object, old) {
    const pod = object as Pod;
    const errs = validatePodSpec(pod.spec, 'spec');
    if (old) errs.push(...validatePodSpecUpdate(pod.spec, (old as Pod).spec));
    return errs;
  },
  columns: [
    nameColumn,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageColumn,
    column('IP', 'string', 'The IP address assigned to the pod.', { priority: 1 }),
    column('Node', 'string', 'The name of the node the pod is scheduled on.', { priority: 1 }),
    column(
      'Nominated Node',
      'string',
      'The name of the node where the pod is nominated to run after preemption.',
      { priority: 1 },
    ),
    column('Readiness Gates', 'string', 'The readiness gates of this pod and how many of them are true.', {
      priority: 1,
    }),
  ],
  cells(object: KubeObject, now: number) {
    const pod = object as Pod;
    const s = summarizePod(pod, now);
    const gates = pod.spec?.readinessGates ?? [];
    const trueGates = gates.filter((g) =>
      (pod.status?.conditions ?? []).some((c) => c.type === g.conditionType && c.status === 'True'),
    ).length;
    return [
      pod.metadata?.name ?? '',
      s.ready,
      s.status,
      s.restarts,
      age(pod.metadata?.creationTimestamp, now),
      pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP ?? '<none>',
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      gates.length ? `${trueGates}/${gates.length}` : '<none>',
    ];
  },
};
