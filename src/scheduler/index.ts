/** The scheduler's public surface: the pure placement function, plans, and the scheduling loop. */
export {
  buildNodeInfos,
  schedule,
  scheduleOnto,
  unschedulableMessage,
  type Placement,
  type ScheduleOptions,
  type Snapshot,
  type ScoringStrategy,
} from './schedule.js';
export { addPod, nodeInfo, podRequests, removePod, type NodeInfo, type Resources } from './node-info.js';
export { expandWorkloads, formatPlan, type PlannedPod } from './plan.js';
export { SchedulerLoop, type SchedulerLoopOptions } from './scheduler-loop.js';
