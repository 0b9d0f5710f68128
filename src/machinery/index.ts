/**
 * The machinery every consumer of the API builds on (controllers, the scheduler, the agent, the
 * network proxy): informers and their shared factory, the work queue, the Controller base,
 * expectations, owner references, object keys, the pure node-matching rules, and leader election
 * on Leases.
 */
export { Controller, type ControllerOptions, type WorkQueueMetricsProvider } from './controller.js';
export { Expectations } from './expectations.js';
export {
  HOST_PORTS_ANNOTATION,
  hostPortKey,
  hostPortsValue,
  parseHostPorts,
  type MappedContainerPorts,
} from './host-ports-annotation.js';
export { Informer, type InformerHandlers, type InformerOptions } from './informer.js';
export { InformerFactory } from './informer-factory.js';
export {
  LEADER_ELECTION_DEFAULTS,
  LeaderElector,
  type LeaderElectionTimings,
  type LeaderElectorOptions,
} from './leader-elector.js';
export {
  decideLease,
  leaseRecordFromSpec,
  leaseSpecFromRecord,
  observedTime,
  type LeaseDecision,
  type LeaseObservation,
  type LeaseRecord,
} from './lease-decision.js';
export {
  findUntoleratedTaint,
  matchNodeSelectorAndAffinity,
  matchNodeSelectorTerm,
  tolerates,
} from './node-match.js';
export { objectKey, splitKey } from './object-key.js';
export { controllerKey, controllerRef, getControllerOf, randomSuffix } from './owner.js';
export type { Runnable } from './runnable.js';
export { WorkQueue, type WorkQueueOptions } from './work-queue.js';
