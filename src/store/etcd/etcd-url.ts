/**
 * Parses `--store etcd://host:port[,host:port…]` into member addresses (`host:port`, IPv6 as
 * `[addr]:port`). Plaintext gRPC: a user's external etcd, expected on loopback or a
 * private network (the members `--cluster-init`/`--join` run speak TLS). Throws a RangeError naming what is wrong.
 */
export function parseEtcdUrl(url: string): string[] {
  if (!url.startsWith('etcd://'))
    throw new RangeError(`not an etcd store URL: "${url}" (use etcd://host:port,…)`);
  const list = url.slice('etcd://'.length).replace(/\/$/, '');
  if (list === '') throw new RangeError(`etcd store URL "${url}" names no member (use etcd://host:port,…)`);
  return list.split(',').map((member) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(member.trim());
    const port = Number(m?.[2]);
    if (m === null || port < 1 || port > 65535) {
      throw new RangeError(`etcd store URL "${url}": "${member}" is not host:port`);
    }
    return `${m[1]}:${port}`;
  });
}
