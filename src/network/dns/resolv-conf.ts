/**
 * Reads a host's resolv.conf for the upstream resolvers the cluster DNS forwards to. Pure.
 */

/**
 * The `nameserver` addresses of a resolv.conf, in order, minus those in `exclude` (the cluster
 * DNS server's own address, which would forward to itself). An empty list when none is left.
 */
export function resolvConfNameservers(text: string, exclude: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m === null) continue;
    const address = (m[1] as string).replace(/%.*$/, '');
    if (!exclude.includes(address) && !out.includes(address)) out.push(address);
  }
  return out;
}
