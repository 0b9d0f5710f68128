import {
  AGGREGATED_DISCOVERY_ACCEPT,
  isAggregatedDiscovery,
  parseAggregatedDiscovery,
  parseResourceList,
  type ResourceInfo,
} from './discovery.js';
import type { RequestOptions } from './client-options.js';

/** How discovery sends a GET: the client's `request`, bound. */
export type DiscoveryGet = (path: string, options?: RequestOptions) => Promise<{ body: unknown }>;

/**
 * Every resource the server serves: `/api` and `/apis` in aggregated (v2) form when the server
 * offers it (two requests), else the legacy documents, one request per group-version.
 */
export async function fetchDiscovery(get: DiscoveryGet): Promise<ResourceInfo[]> {
  const out: ResourceInfo[] = [];
  for (const root of ['/api', '/apis']) {
    const body = (await get(root, { accept: AGGREGATED_DISCOVERY_ACCEPT })).body as Record<string, unknown>;
    if (isAggregatedDiscovery(body)) {
      out.push(...parseAggregatedDiscovery(body));
      continue;
    }
    // Legacy discovery: APIVersions for /api, APIGroupList for /apis, then one list per version.
    const versions =
      root === '/api'
        ? ((body['versions'] as string[] | undefined) ?? []).map((v, i) => ({ gv: v, preferred: i === 0 }))
        : ((body['groups'] as LegacyGroup[] | undefined) ?? []).flatMap((g) =>
            (g.versions ?? []).map((v) => ({
              gv: v.groupVersion,
              preferred: v.groupVersion === g.preferredVersion?.groupVersion,
            })),
          );
    for (const { gv, preferred } of versions) {
      out.push(...parseResourceList((await get(`${root}/${gv}`)).body, preferred));
    }
  }
  return out;
}

interface LegacyGroup {
  versions?: Array<{ groupVersion: string }>;
  preferredVersion?: { groupVersion: string };
}
