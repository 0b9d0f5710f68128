import type { CorsRule } from '../object-store.js';
import { ObjectStoreError } from '../errors.js';
import { children, childText, type XmlElement, type XmlNode } from './xml.js';

function wildcard(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const v = caseInsensitive ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

/**
 * Finds the first CORS rule allowing an origin, a method and (for preflights) the requested
 * headers, with S3's matching: one `*` wildcard per origin or header pattern, header names
 * case-insensitive, methods exact.
 */
export function matchCorsRule(
  rules: readonly CorsRule[] | undefined,
  origin: string,
  method: string,
  requestHeaders: readonly string[] = [],
): CorsRule | undefined {
  return rules?.find(
    (r) =>
      r.allowedOrigins.some((o) => wildcard(o, origin, false)) &&
      r.allowedMethods.includes(method) &&
      requestHeaders.every((h) => r.allowedHeaders.some((p) => wildcard(p, h, true))),
  );
}

/** The response headers for a matched rule (preflight adds methods, headers and max age). */
export function corsHeaders(
  rule: CorsRule,
  origin: string,
  preflight?: { requestHeaders: readonly string[] },
): Record<string, string> {
  const any = rule.allowedOrigins.includes('*');
  const h: Record<string, string> = {
    'access-control-allow-origin': any ? '*' : origin,
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!any) h['access-control-allow-credentials'] = 'true';
  if (rule.exposeHeaders.length > 0) h['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (preflight !== undefined) {
    h['access-control-allow-methods'] = rule.allowedMethods.join(', ');
    if (preflight.requestHeaders.length > 0)
      h['access-control-allow-headers'] = preflight.requestHeaders.join(', ');
    if (rule.maxAgeSeconds !== undefined) h['access-control-max-age'] = String(rule.maxAgeSeconds);
  }
  return h;
}

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);

/** Reads a CORSConfiguration document into rules, validating methods and required fields. */
export function parseCorsConfiguration(root: XmlElement): CorsRule[] {
  if (root.name !== 'CORSConfiguration')
    throw new ObjectStoreError('MalformedXML', 'The root element must be CORSConfiguration');
  const rules = children(root, 'CORSRule').map((r): CorsRule => {
    const rule: CorsRule = {
      allowedOrigins: children(r, 'AllowedOrigin').map((e) => e.text.trim()),
      allowedMethods: children(r, 'AllowedMethod').map((e) => e.text.trim()),
      allowedHeaders: children(r, 'AllowedHeader').map((e) => e.text.trim()),
      exposeHeaders: children(r, 'ExposeHeader').map((e) => e.text.trim()),
    };
    const maxAge = childText(r, 'MaxAgeSeconds');
    if (maxAge !== undefined) {
      if (!/^\d{1,9}$/.test(maxAge.trim()))
        throw new ObjectStoreError('MalformedXML', `MaxAgeSeconds ${JSON.stringify(maxAge)} is not a number`);
      rule.maxAgeSeconds = Number(maxAge.trim());
    }
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) {
      throw new ObjectStoreError(
        'MalformedXML',
        'Every CORSRule needs an AllowedOrigin and an AllowedMethod',
      );
    }
    for (const m of rule.allowedMethods) {
      if (!METHODS.has(m))
        throw new ObjectStoreError(
          'InvalidRequest',
          `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`,
        );
    }
    return rule;
  });
  if (rules.length === 0 || rules.length > 100)
    throw new ObjectStoreError('MalformedXML', 'A CORSConfiguration needs 1 to 100 CORSRules');
  return rules;
}

/** The XML nodes of a CORS configuration, for GetBucketCors. */
export function corsToXml(rules: readonly CorsRule[]): XmlNode[] {
  return rules.map((r): XmlNode => [
    'CORSRule',
    [
      ...r.allowedHeaders.map((v): XmlNode => ['AllowedHeader', v]),
      ...r.allowedMethods.map((v): XmlNode => ['AllowedMethod', v]),
      ...r.allowedOrigins.map((v): XmlNode => ['AllowedOrigin', v]),
      ...r.exposeHeaders.map((v): XmlNode => ['ExposeHeader', v]),
      ['MaxAgeSeconds', r.maxAgeSeconds],
    ],
  ]);
}
