import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ResourceType } from '../resources/index.js';
import {
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from './discovery.js';
import { openApiGroupVersion, openApiRoot } from './openapi.js';

/** The Kubernetes version the server reports (the API it follows). */
export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-stratus',
  gitCommit: '',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'node',
  compiler: 'tsc',
  platform: `${process.platform}/${process.arch}`,
};

/**
 * The documents that depend only on the registry — version, discovery in both forms, OpenAPI —
 * serialized once when the server starts, so serving them is a map lookup and one write. Keys:
 * `version`, `root`, `api`, `apis`, `aggregated-api`, `aggregated-apis`, `rl:GROUP/VERSION`,
 * `openapi`, `openapi:api/v1` …
 */
export class StaticDocuments {
  private readonly docs = new Map<string, { body: string; contentType: string }>();

  constructor(types: readonly ResourceType[]) {
    const put = (key: string, body: unknown, contentType = 'application/json'): void => {
      this.docs.set(key, { body: JSON.stringify(body), contentType });
    };
    put('version', SERVER_VERSION);
    const paths = ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/readyz', '/openapi/v3', '/version'];
    const seen = new Set<string>();
    for (const t of types) {
      const gv = t.group === '' ? t.version : `${t.group}/${t.version}`;
      if (seen.has(gv)) continue;
      seen.add(gv);
      if (t.group !== '') paths.push(`/apis/${t.group}`, `/apis/${gv}`);
      const rl = apiResourceList(types, t.group, t.version);
      if (rl !== undefined) put(`rl:${t.group}/${t.version}`, rl);
      const gvPath = t.group === '' ? `api/${t.version}` : `apis/${gv}`;
      const doc = openApiGroupVersion(types, gvPath);
      if (doc !== undefined) put(`openapi:${gvPath}`, doc);
    }
    put('root', { paths: [...new Set(paths)].sort() });
    put('api', apiVersions());
    put('apis', apiGroupList(types));
    put('aggregated-api', aggregatedDiscovery(types, true), AGGREGATED_DISCOVERY_CONTENT_TYPE);
    put('aggregated-apis', aggregatedDiscovery(types, false), AGGREGATED_DISCOVERY_CONTENT_TYPE);
    // The hash changes with the served kinds, so kubectl's OpenAPI cache never goes stale.
    const hash = createHash('sha256')
      .update(
        [...this.docs.keys()]
          .filter((k) => k.startsWith('openapi:'))
          .map((k) => this.docs.get(k)?.body)
          .join('\n'),
      )
      .digest('hex')
      .slice(0, 16);
    put('openapi', openApiRoot(types, hash));
  }

  /** Sends the document under `key`; false when there is none. */
  send(res: ServerResponse, key: string): boolean {
    const doc = this.docs.get(key);
    if (doc === undefined) return false;
    res.writeHead(200, { 'content-type': doc.contentType, 'content-length': Buffer.byteLength(doc.body) });
    res.end(doc.body);
    return true;
  }
}
