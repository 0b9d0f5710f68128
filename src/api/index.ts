/**
 * The Kubernetes-compatible API server: construct an ApiServer with a store, the resource
 * registry and an authenticator, then `listen()`. `ensureDefaultNamespaces` bootstraps a fresh
 * store.
 */
export { API_CONNECTION_LIMITS, ApiServer, type ApiExtension, type ApiServerOptions } from './api-server.js';
export { SERVER_VERSION } from './documents.js';
export { WATCH_CACHE_INDEXES } from './api-context.js';
export {
  ensureDefaultNamespaces,
  ensureDefaultRuntimeClasses,
  ensureNamespaceDefaults,
  DEFAULT_NAMESPACES,
  DEFAULT_RUNTIME_CLASSES,
} from './bootstrap.js';
export { ApiError, type StatusCause, type StatusDetails } from './errors.js';
export { errorToStatus, type Status } from './status-errors.js';
export { TABLE_CONTENT_TYPE } from './table.js';
export { AGGREGATED_DISCOVERY_CONTENT_TYPE } from './discovery.js';
export { LimitRangerAdmission } from './admission/limit-ranger-admission.js';
export { QuotaAdmission } from './admission/quota-admission.js';
export type { ChargeResult } from './admission/quota-charger.js';
export { AuditLog, type AuditLogOptions, type AuditSink } from './audit-log.js';
export type { AuditEvent } from './audit-event.js';
export { ServiceRangeError } from './errors.js';
export {
  apiServerServiceIP,
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  parsePodCidrs,
  parsePortRange,
  parseServiceCidr,
  type ServiceNetworkOptions,
} from './allocation/index.js';
