import { PatchError } from './errors.js';
import { deepClone, isObject, type JsonObject } from './json.js';

/**
 * Applies an RFC 7386 JSON merge patch: objects merge recursively, `null` deletes a member, any
 * other value (arrays included) replaces. A patch that is not an object replaces the target
 * whole. Returns a new value; neither input is changed. `kubectl patch --type merge` and
 * `kubectl scale` send these.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return deepClone(patch);
  const out: JsonObject = isObject(target) ? deepClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (value !== undefined) out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/**
 * Like `applyMergePatch`, but for object bodies only, as the API needs: a patch that is not a
 * JSON object throws `PatchError` `PATCH_INVALID` 400 instead of replacing the object.
 */
export function applyObjectMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) {
    throw new PatchError('PATCH_INVALID', 400, 'Invalid merge patch: the patch must be a JSON object');
  }
  return applyMergePatch(target, patch);
}
