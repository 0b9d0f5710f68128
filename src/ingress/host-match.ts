/**
 * Host names as Ingress rules and TLS entries give them: an exact name, or `*.` followed by a
 * name, which matches exactly one more label in front (`*.example.com` matches
 * `shop.example.com`, not `example.com` nor `a.shop.example.com`). Pure: no I/O.
 */

/** The wildcard entry that would match `host` (`*.example.com` for `shop.example.com`). */
export function wildcardOf(host: string): string | undefined {
  const dot = host.indexOf('.');
  return dot <= 0 ? undefined : `*${host.slice(dot)}`;
}

/**
 * The host a request names, lower case, without port or trailing dot: `Shop.Example:8443` →
 * `shop.example`, `[::1]:80` → `::1`. Undefined for an empty or missing Host.
 */
export function requestHost(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  let host = header.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? undefined : host.slice(1, end);
  }
  const colon = host.indexOf(':');
  if (colon >= 0) host = host.slice(0, colon);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host === '' ? undefined : host;
}

/** The value stored under `host` exactly, else under its wildcard. */
export function lookupHost<T>(map: ReadonlyMap<string, T>, host: string): T | undefined {
  const exact = map.get(host);
  if (exact !== undefined) return exact;
  const wildcard = wildcardOf(host);
  return wildcard === undefined ? undefined : map.get(wildcard);
}
