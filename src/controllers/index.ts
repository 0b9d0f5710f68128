/**
 * The controllers' public surface: the controller manager and the controllers other roles
 * start on their own. The machinery they are built on (informers, the work queue, the
 * Controller base) is in `src/machinery/`.
 */
export type { ControllerContext } from './controller-context.js';
export { CONTROLLERS, type ControllerFactory } from './controller-registry.js';
export {
  startControllerManager,
  type ControllerManager,
  type ControllerManagerOptions,
} from './controller-manager.js';
export { ControllerError } from './errors.js';
export { isPodActive, isPodAvailable, isPodReady, compareForDeletion } from './pod-state.js';
export { NodeLifecycleController, type NodeLifecycleOptions } from './node-lifecycle-controller.js';
export { ClusterRoleAggregationController, aggregatedRules } from './clusterrole-aggregation-controller.js';
export {
  NamespaceDefaultsController,
  defaultServiceAccounts,
  rootCaPublisher,
  type NamespaceDefault,
} from './namespace-defaults-controller.js';
export {
  KubernetesServiceController,
  kubernetesService,
  type ApiServerEndpoint,
} from './kubernetes-service-controller.js';
export { ResourceQuotaController, type ResourceQuotaOptions } from './resourcequota-controller.js';
export { HpaController, type HpaControllerOptions } from './hpa-controller.js';
