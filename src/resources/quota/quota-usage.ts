import type { KubeObject } from '../../common/kube-object.js';
import { ZERO_QUANTITY } from '../../common/exact-quantity.js';
import { countedResource, evaluatorFor, type ScopeRequirement } from './quota-evaluator.js';
import { addLists, maskList, type ResourceList } from './resource-list.js';

/** The store keys whose objects a quota with these hard resource names counts. */
export function trackedResources(hardNames: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const name of hardNames) {
    const resource = countedResource(name);
    if (resource !== undefined) out.add(resource);
  }
  return [...out].sort();
}

/**
 * A quota's usage as the resourcequota controller computes it (quota.CalculateUsage): for each
 * resource it tracks, the sum of what the namespace's objects of that resource use, counting
 * only objects within the quota's scopes; every tracked name is present, zero when nothing
 * uses it, and names no object can use are absent (their usage is not known).
 */
export function calculateUsage(
  hardNames: readonly string[],
  scopes: readonly ScopeRequirement[],
  objectsOf: (groupResource: string) => readonly KubeObject[],
  nowMs: number,
): ResourceList {
  let used: ResourceList = new Map();
  for (const resource of trackedResources(hardNames)) {
    const evaluator = evaluatorFor(resource);
    const names = evaluator.matchingResources(hardNames);
    for (const n of names) if (!used.has(n)) used.set(n, ZERO_QUANTITY);
    for (const object of objectsOf(resource)) {
      if (!evaluator.matchesScopes(object, scopes)) continue;
      used = addLists(used, maskList(evaluator.usage(object, nowMs), names));
    }
  }
  return used;
}
