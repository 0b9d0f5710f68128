import type { KubeObject } from '../../common/kube-object.js';
import { addLists, parseResourceList, resourceListJson, type ResourceList } from './resource-list.js';

/**
 * The annotation on a ResourceQuota that lists the charges admission made for writes not yet
 * known to have landed: `{"pods/web-1": {"at": 1767225600000, "usage": {"pods": "1"}}}`.
 *
 * Admission charges a quota (raising `status.used`) before the object is stored; the
 * resourcequota controller recomputes `used` from the objects it can list. Without this record,
 * a recount between a charge and its object's write would drop the charge and let one more
 * object in (kubernetes/kubernetes#123434). With it, the controller adds each recorded charge
 * whose object it does not see yet (a create's object by uid, so a name taken by another object
 * does not count; an update's by a resourceVersion that moved on); admission removes the record
 * once the write is stored, and gives a create's charge back if the write failed.
 */
export const IN_FLIGHT_ANNOTATION = 'quota.stratus.dev/in-flight';

/** How long a record counts when nobody removes it (a server that died mid-write). */
export const IN_FLIGHT_TTL_MS = 60_000;

/**
 * One recorded charge: when, how much, and which write: a create's object uid (none for a bucket,
 * whose object the server mirrors), or the resourceVersion an update was made against.
 */
export interface InFlightCharge {
  at: number;
  usage: Record<string, string>;
  uid?: string;
  rv?: string;
}

/** The records of a quota by key (`pods/web-1`, `buckets.storage.stratus.dev/photos`). */
export function inFlightCharges(quota: KubeObject): Map<string, InFlightCharge> {
  const text = quota.metadata.annotations?.[IN_FLIGHT_ANNOTATION];
  if (text === undefined) return new Map();
  try {
    const parsed = JSON.parse(text) as Record<string, InFlightCharge>;
    return new Map(
      Object.entries(parsed).filter(
        ([, c]) =>
          c !== null && typeof c === 'object' && typeof c.at === 'number' && typeof c.usage === 'object',
      ),
    );
  } catch {
    return new Map();
  }
}

/** A copy of `quota` carrying `charges` (the annotation removed when there are none). */
export function withInFlightCharges(quota: KubeObject, charges: Map<string, InFlightCharge>): KubeObject {
  const annotations: Record<string, string> = { ...quota.metadata.annotations };
  if (charges.size === 0) delete annotations[IN_FLIGHT_ANNOTATION];
  else annotations[IN_FLIGHT_ANNOTATION] = JSON.stringify(Object.fromEntries(charges));
  const { annotations: _old, ...rest } = quota.metadata;
  return { ...quota, metadata: Object.keys(annotations).length > 0 ? { ...rest, annotations } : rest };
}

/** A record for a charge made now for the write `of` names. */
export function inFlightCharge(
  usage: ResourceList,
  nowMs: number,
  of: { uid?: string | undefined; rv?: string | undefined } = {},
): InFlightCharge {
  return {
    at: nowMs,
    usage: resourceListJson(usage),
    ...(of.uid !== undefined ? { uid: of.uid } : {}),
    ...(of.rv !== undefined ? { rv: of.rv } : {}),
  };
}

/**
 * Whether a recorded charge's write is visible in `object` (the namespace's object of the
 * record's key, or undefined): a create's when the object has its uid (or, without one, exists),
 * an update's when the object's resourceVersion moved on or the object is gone.
 */
export function chargeLanded(charge: InFlightCharge, object: KubeObject | undefined): boolean {
  if (charge.rv !== undefined) return object === undefined || object.metadata.resourceVersion !== charge.rv;
  if (object === undefined) return false;
  return charge.uid === undefined || object.metadata.uid === charge.uid;
}

/** The records still counting at `nowMs` (younger than IN_FLIGHT_TTL_MS). */
export function liveCharges(
  charges: Map<string, InFlightCharge>,
  nowMs: number,
): Map<string, InFlightCharge> {
  return new Map([...charges].filter(([, c]) => nowMs - c.at < IN_FLIGHT_TTL_MS));
}

/**
 * What the live records add to a recount: the usage of each whose write has not landed, as
 * `landed(key, charge)` tells (for a create, its object exists; for an update, its object's
 * resourceVersion moved past the recorded one).
 */
export function pendingUsage(
  charges: Map<string, InFlightCharge>,
  nowMs: number,
  landed: (key: string, charge: InFlightCharge) => boolean,
): ResourceList {
  let out: ResourceList = new Map();
  for (const [key, charge] of liveCharges(charges, nowMs)) {
    if (!landed(key, charge)) out = addLists(out, parseResourceList(charge.usage));
  }
  return out;
}
