/**
 * Patches and server-side apply: RFC 6902 JSON patch, RFC 7386 merge patch, Kubernetes'
 * strategic merge patch, and server-side apply with `metadata.managedFields` in FieldsV1 form.
 * Everything here is pure: plain JSON in, new JSON out, inputs never changed.
 */
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch, applyObjectMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
export { serverSideApply, BEFORE_FIRST_APPLY, type ServerSideApplyOptions } from './server-side-apply.js';
export { formatTime, updateManagedFields, type UpdateManagedFieldsOptions } from './managed-fields.js';
export { FieldSet, pathString } from './fields-v1.js';
export { fieldSetOf } from './typed-value.js';
export { ApplyConflictError, PatchError, type ApplyConflict } from './errors.js';
