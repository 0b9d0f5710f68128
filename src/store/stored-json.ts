import type { KubeObject } from '../common/kube-object.js';

/** The JSON text each object a store handed out was parsed from (weakly held). */
const texts = new WeakMap<KubeObject, string>();

/**
 * Notes that `object` is the parse of `json` as stored (resourceVersion included), so that a
 * reply showing it unchanged can send the text rather than serialize the object again.
 */
export function rememberStoredJson(object: KubeObject, json: string): KubeObject {
  texts.set(object, json);
  return object;
}

/**
 * The stored JSON text `object` was parsed from, when a store handed it out that way; the
 * caller vouches that it has not changed the object since (as the API's write handlers, which
 * reply with what the store returned).
 */
export function storedJson(object: KubeObject): string | undefined {
  return texts.get(object);
}
