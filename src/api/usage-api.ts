import type { IncomingMessage, ServerResponse } from 'node:http';
import { seriesDemand, seriesTotals, type UsageDb } from '../telemetry/index.js';
import type { ApiDeps } from './api-context.js';
import { extraApiGroup, extraResourceList, type DiscoveryGroup } from './discovery.js';
import { badRequest, methodNotAllowed, pathNotFound } from './errors.js';
import { sendJson } from './http-io.js';

/** The group of the usage API (read-only, served by code from the usage records). */
export const USAGE_GROUP = 'usage.stratus.dev';
const PREFIX = `/apis/${USAGE_GROUP}/v1`;
/** What `/apis` lists for the usage API, so that `kubectl api-resources` shows it. */
export const USAGE_DISCOVERY: DiscoveryGroup = {
  group: USAGE_GROUP,
  version: 'v1',
  resources: [{ plural: 'usages', singular: 'usage', kind: 'Usage', namespaced: true, verbs: ['list'] }],
};
/** At most this many demand points per series (30 days at 5 min is 8 640). */
const MAX_POINTS = 20_000;

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw badRequest(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/**
 * `GET /apis/usage.stratus.dev/v1/usages` and `…/namespaces/NS/usages`: the metered series with
 * their totals over a window (`since` seconds before now, default 30 days; or `from`/`to`, epoch
 * seconds), optionally of one `kind` (pod, bucket), and with `resource=cpu|memory&step=S` each
 * pod's demand per step for `stratus smoothness`. Authorized as any resource request (`list
 * usages` in `usage.stratus.dev`, which view, edit and admin hold in their namespaces).
 */
export function usageExtension(
  deps: ApiDeps,
  db: UsageDb,
): { prefix: string; handle(req: IncomingMessage, res: ServerResponse): Promise<void> } {
  return {
    prefix: `/apis/${USAGE_GROUP}`,
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.replace(/\/$/, '');
      if (req.method !== 'GET') throw methodNotAllowed(req.method ?? '', path);
      const discovery =
        path === `/apis/${USAGE_GROUP}`
          ? extraApiGroup(USAGE_DISCOVERY)
          : path === PREFIX
            ? extraResourceList(USAGE_DISCOVERY)
            : undefined;
      if (discovery !== undefined) {
        sendJson(res, 200, discovery);
        return Promise.resolve();
      }
      const m = /^\/namespaces\/([^/]+)\/usages$/.exec(path.slice(PREFIX.length));
      if (!path.startsWith(PREFIX) || (m === null && path !== `${PREFIX}/usages`)) throw pathNotFound(path);
      const namespace = m?.[1] === undefined ? undefined : decodeURIComponent(m[1]);
      const q = url.searchParams;
      const now = Math.floor(deps.clock.now() / 1000);
      const to = intParam(q, 'to') ?? now;
      const from = intParam(q, 'from') ?? to - (intParam(q, 'since') ?? 30 * 86_400);
      const kind = q.get('kind') ?? undefined;
      if (kind !== undefined && kind !== 'pod' && kind !== 'bucket')
        throw badRequest(`kind must be pod or bucket, got "${kind}"`);
      const resource = q.get('resource') ?? undefined;
      if (resource !== undefined && resource !== 'cpu' && resource !== 'memory')
        throw badRequest(`resource must be cpu or memory, got "${resource}"`);
      const step = intParam(q, 'step') ?? 300;
      if (resource !== undefined && (step < 15 || (to - from) / step > MAX_POINTS))
        throw badRequest(
          `step ${step} s gives more than ${MAX_POINTS} points (or is under 15 s) over ${to - from} s`,
        );
      const found = db.query({
        from,
        to,
        ...(kind !== undefined ? { kind } : {}),
        ...(namespace !== undefined ? { namespace } : {}),
      });
      const items = found.map((s) => ({
        apiVersion: `${USAGE_GROUP}/v1`,
        kind: 'Usage',
        metadata: {
          name: s.info.name,
          ...(s.info.namespace ? { namespace: s.info.namespace } : {}),
          uid: s.info.uid,
        },
        series: s.info,
        totals: seriesTotals(s.info, s.points),
        ...(resource !== undefined
          ? {
              demand: seriesDemand(s.info, s.points, {
                from,
                to,
                step,
                resource,
              }),
            }
          : {}),
      }));
      sendJson(res, 200, {
        apiVersion: `${USAGE_GROUP}/v1`,
        kind: 'UsageList',
        metadata: {},
        window: { from, to, ...(resource !== undefined ? { step, resource } : {}) },
        items,
      });
      return Promise.resolve();
    },
  };
}
