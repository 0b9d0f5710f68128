/** The agent part's test support for other parts' tests (the layering lets them import only this). */
export {
  hostPid,
  runtimeFixture,
  runtimeSkip,
  WORKLOAD_RUNTIMES,
  type RuntimeFixture,
  type WorkloadRuntime,
} from './workload-runtimes.js';
export {
  deploymentAcceptance,
  type DeploymentAcceptanceOptions,
  type KubectlPod,
} from './deployment-acceptance.js';
