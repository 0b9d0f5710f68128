import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceType } from '../resources/index.js';
import {
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroupList,
  apiResourceList,
  apiVersions,
  extraAggregatedItem,
  extraApiGroup,
  type DiscoveryGroup,
} from './discovery.js';
import { openApiGroupVersion, openApiRoot } from './openapi.js';
import { swaggerDocument } from './openapi-v2.js';
import { encodeSwaggerDocument, OPENAPI_V2_PROTOBUF } from './openapi-v2-proto.js';

/** `/openapi/v2` in its two forms, built on first use (kubectl asks only for `kind: List` files). */
interface SwaggerForms {
  json: Buffer;
  protobuf: Buffer;
  etag: string;
}

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
  private swagger: SwaggerForms | undefined;

  /** `extra`: groups other code serves (see DiscoveryGroup), listed beside the registry's. */
  constructor(
    private readonly types: readonly ResourceType[],
    extra: readonly DiscoveryGroup[] = [],
  ) {
    const put = (key: string, body: unknown, contentType = 'application/json'): void => {
      this.docs.set(key, { body: JSON.stringify(body), contentType });
    };
    put('version', SERVER_VERSION);
    const paths = [
      '/api',
      '/api/v1',
      '/apis',
      '/healthz',
      '/livez',
      '/readyz',
      '/openapi/v2',
      '/openapi/v3',
      '/version',
    ];
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
    for (const g of extra) paths.push(`/apis/${g.group}`, `/apis/${g.group}/${g.version}`);
    put('root', { paths: [...new Set(paths)].sort() });
    put('api', apiVersions());
    const groups = apiGroupList(types);
    for (const g of extra) {
      const { name, versions, preferredVersion } = extraApiGroup(g);
      (groups['groups'] as unknown[]).push({ name, versions, preferredVersion });
    }
    put('apis', groups);
    put('aggregated-api', aggregatedDiscovery(types, true), AGGREGATED_DISCOVERY_CONTENT_TYPE);
    const aggregated = aggregatedDiscovery(types, false);
    (aggregated['items'] as unknown[]).push(...extra.map(extraAggregatedItem));
    put('aggregated-apis', aggregated, AGGREGATED_DISCOVERY_CONTENT_TYPE);
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

  /**
   * Sends `/openapi/v2`: the protobuf form when the Accept header names it (kubectl does, and
   * reads nothing else), JSON otherwise; with an ETag, and 304 to a matching If-None-Match.
   */
  sendSwagger(req: IncomingMessage, res: ServerResponse): void {
    this.swagger ??= buildSwagger(this.types);
    const { json, protobuf, etag } = this.swagger;
    const pb = (req.headers.accept ?? '').includes('com.github.proto-openapi.spec.v2');
    const headers = { etag, vary: 'Accept', 'content-type': pb ? OPENAPI_V2_PROTOBUF : 'application/json' };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const body = pb ? protobuf : json;
    res.writeHead(200, { ...headers, 'content-length': body.length });
    res.end(body);
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

function buildSwagger(types: readonly ResourceType[]): SwaggerForms {
  const doc = swaggerDocument(types, SERVER_VERSION.gitVersion.replace(/-stratus$/, ''));
  const json = Buffer.from(JSON.stringify(doc));
  const etag = `"${createHash('sha256').update(json).digest('hex').slice(0, 32).toUpperCase()}"`;
  return { json, protobuf: Buffer.from(encodeSwaggerDocument(doc)), etag };
}
