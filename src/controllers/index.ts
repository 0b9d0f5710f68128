/**
 * The controllers' public surface: the framework other parts build on (informers, the work
 * queue, the Controller base, Events) and the controller manager.
 */
export { Controller, type ControllerOptions } from './controller.js';
export { InformerFactory, type ControllerContext, type Runnable } from './controller-context.js';
export { CONTROLLERS, type ControllerFactory } from './controller-registry.js';
export {
  startControllerManager,
  type ControllerManager,
  type ControllerManagerOptions,
} from './controller-manager.js';
export { ControllerError } from './errors.js';
export { EventRecorder, type EventRecorderOptions, type EventType } from '../client/index.js';
export { Expectations } from './expectations.js';
export { Informer, objectKey, splitKey, type InformerHandlers, type InformerOptions } from './informer.js';
export { controllerKey, controllerRef, getControllerOf, randomSuffix } from './owner.js';
export { WorkQueue, type WorkQueueOptions } from './work-queue.js';
export { isPodActive, isPodAvailable, isPodReady, compareForDeletion } from './pod-state.js';
export { NodeLifecycleController, type NodeLifecycleOptions } from './node-lifecycle-controller.js';
export { ClusterRoleAggregationController, aggregatedRules } from './clusterrole-aggregation-controller.js';
