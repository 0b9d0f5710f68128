/** The scheduler's public surface: the pure placement function and its types. */
export {
  schedule,
  unschedulableMessage,
  type Placement,
  type Snapshot,
  type ScoringStrategy,
} from './schedule.js';
export { podRequests, type Resources } from './node-info.js';
