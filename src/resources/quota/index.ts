/**
 * Quota and LimitRange semantics without I/O, shared by quota admission (the API server) and the
 * resourcequota controller: what objects use (pods' requests and limits, services' node ports,
 * object counts, buckets' bytes), Kubernetes' quota check and messages, and LimitRanger's
 * defaults and bounds.
 */
export {
  parseResourceList,
  resourceListJson,
  addLists,
  subtractNonNegative,
  maskList,
  listsEqual,
  prettyPrint,
  type ResourceList,
} from './resource-list.js';
export { podResources, podUsage, podHoldsResources } from './pod-usage.js';
export {
  evaluatorFor,
  objectCountName,
  countedResource,
  BUCKETS_RESOURCE,
  BUCKET_BYTES,
  BUCKET_COUNT,
  type ScopeRequirement,
  type UsageEvaluator,
} from './quota-evaluator.js';
export {
  checkQuotaRequest,
  quotaState,
  quotaScopes,
  type QuotaRequest,
  type QuotaState,
  type QuotaVerdict,
} from './quota-check.js';
export { calculateUsage, trackedResources } from './quota-usage.js';
export {
  applyLimitRangeDefaults,
  limitRangeErrors,
  aggregateMessage,
  LIMIT_RANGER_ANNOTATION,
  type LimitRangeItem,
} from './limit-ranger.js';
export {
  IN_FLIGHT_ANNOTATION,
  IN_FLIGHT_TTL_MS,
  chargeLanded,
  inFlightCharge,
  inFlightCharges,
  liveCharges,
  pendingUsage,
  withInFlightCharges,
  type InFlightCharge,
} from './in-flight.js';
