const SCHEMES = ['etcd://', 'https://', 'http://'] as const;

/**
 * Parses `--store etcd://host:port[,host:port…]` (or kube-apiserver's `--etcd-servers` form,
 * `https://host:port[,https://host:port…]`, `http://…`) into member addresses (`host:port`, IPv6
 * as `[addr]:port`). `https://` means TLS (`etcdUrlIsTls`); `etcd://` and `http://` are
 * plaintext unless certificate flags are given (the server's `--etcd-cafile` and others). Throws
 * a RangeError naming what is wrong.
 */
export function parseEtcdUrl(url: string): string[] {
  const scheme = SCHEMES.find((s) => url.startsWith(s));
  if (scheme === undefined)
    throw new RangeError(`not an etcd store URL: "${url}" (use etcd://host:port,… or https://host:port,…)`);
  const list = url.slice(scheme.length).replace(/\/$/, '');
  if (list === '') throw new RangeError(`etcd store URL "${url}" names no member (use ${scheme}host:port,…)`);
  return list.split(',').map((entry) => {
    // kube-apiserver's form repeats the scheme before each member.
    const member = entry.trim().startsWith(scheme)
      ? entry.trim().slice(scheme.length).replace(/\/$/, '')
      : entry;
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(member.trim());
    const port = Number(m?.[2]);
    if (m === null || port < 1 || port > 65535) {
      throw new RangeError(`etcd store URL "${url}": "${member}" is not host:port`);
    }
    return `${m[1]}:${port}`;
  });
}

/** Whether an etcd store URL asks for TLS by its scheme (`https://`). */
export function etcdUrlIsTls(url: string): boolean {
  return url.startsWith('https://');
}
