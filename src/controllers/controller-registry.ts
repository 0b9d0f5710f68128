import type { Runnable } from '../machinery/index.js';
import { SchedulerLoop } from '../scheduler/index.js';
import type { ControllerContext } from './controller-context.js';
import { DeploymentController } from './deployment-controller.js';
import { ReplicaSetController } from './replicaset-controller.js';
import { CronJobController } from './cronjob-controller.js';
import { DaemonSetController } from './daemonset-controller.js';
import { JobController } from './job-controller.js';
import { NodeLifecycleController } from './node-lifecycle-controller.js';
import { EndpointsController } from './endpoints-controller.js';
import { EndpointSliceController } from './endpointslice-controller.js';
import { EndpointSliceMirroringController } from './endpointslice-mirroring-controller.js';
import { LoadBalancerController } from './loadbalancer-controller.js';
import { ClusterRoleAggregationController } from './clusterrole-aggregation-controller.js';
import { defaultServiceAccounts } from './namespace-defaults-controller.js';
import { ResourceQuotaController } from './resourcequota-controller.js';
import { HpaController } from './hpa-controller.js';

/** Builds one controller from the manager's shared context. */
export type ControllerFactory = (ctx: ControllerContext) => Runnable;

/**
 * Every controller the manager can run, by the name `controllers: [...]` selects. Adding a
 * controller is one line here (and its file).
 */
export const CONTROLLERS: Record<string, ControllerFactory> = {
  replicaset: (ctx) => new ReplicaSetController(ctx),
  deployment: (ctx) => new DeploymentController(ctx),
  scheduler: (ctx) =>
    new SchedulerLoop({
      client: ctx.client,
      informers: ctx.informers,
      recorder: ctx.recorder('default-scheduler'),
      strategy: ctx.scheduler.strategy,
      clock: ctx.clock,
      ...(ctx.scheduler.onAttempt ? { onAttempt: ctx.scheduler.onAttempt } : {}),
      ...(ctx.onError ? { onError: (err: unknown) => ctx.onError?.('scheduler', '', err) } : {}),
    }),
  daemonset: (ctx) => new DaemonSetController(ctx),
  job: (ctx) => new JobController(ctx),
  cronjob: (ctx) => new CronJobController(ctx),
  nodelifecycle: (ctx) => new NodeLifecycleController(ctx),
  endpoints: (ctx) => new EndpointsController(ctx),
  endpointslice: (ctx) => new EndpointSliceController(ctx),
  endpointslicemirroring: (ctx) => new EndpointSliceMirroringController(ctx),
  loadbalancer: (ctx) => new LoadBalancerController(ctx),
  'clusterrole-aggregation': (ctx) => new ClusterRoleAggregationController(ctx),
  serviceaccount: (ctx) => defaultServiceAccounts(ctx),
  resourcequota: (ctx) => new ResourceQuotaController(ctx),
  horizontalpodautoscaler: (ctx) => new HpaController(ctx),
};
