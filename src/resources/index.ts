/**
 * The public surface of the resource kinds: the registry the API server, controllers and CLI
 * read, the schema document, and the pure helpers other parts reuse (cron schedules, ages,
 * label selectors, pod summaries, quantities, field errors).
 */
export type { ResourceType, DecodeResult, FieldError, ColumnDefinition } from './resource-type.js';
export type { SchemaNode, SchemaDocument, ObjectSchema, MapSchema, ArraySchema } from './schema.js';
export { createRegistry, builtinKinds, type ResourceRegistry, type GroupVersions } from './registry.js';
export { defineKind, STANDARD_VERBS, type KindDefinition } from './define-kind.js';
export { schemaDocument, resolveSchema } from './schemas.js';
export { decode, type FieldValidation } from './decode.js';
export { parseCron, isValidTimeZone, type CronSchedule } from './cron.js';
export { age, humanDuration } from './age.js';
export { selectorIsEmpty, formatLabelSelector, formatMapSelector } from './label-selector.js';
export { summarizePod, type PodSummary } from './pod-status.js';
export { defaultPullPolicy } from './pod-defaults.js';
export { parseQuantity } from './quantity.js';
export { forbidden as fieldForbidden, notSupported as fieldNotSupported } from './field-error.js';
export { isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue } from './names.js';
export {
  InvalidObjectError,
  InvalidCronError,
  formatFieldError,
  invalidMessage,
  strictDecodingMessage,
} from './errors.js';
export { formatValue as formatFieldValue, invalid as fieldInvalid } from './field-error.js';
export { validateServiceClusterIPs } from './kinds/service-ip-validation.js';
export type { Bucket } from './kinds/bucket.js';
export { jobStatus } from './kinds/job.js';
export {
  defaultScaleDownRules,
  defaultScaleUpRules,
  formatHpaTargets,
} from './kinds/horizontal-pod-autoscaler.js';
export { nodeStatus } from './kinds/node.js';
