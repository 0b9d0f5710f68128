import { findNft, removePodNetworkLeftovers, runNft, orphanedStratusTables } from '../network/index.js';

/**
 * `stratus up --cleanup`: removes what a `stratus up` or `stratus agent` that crashed left in
 * the kernel: pods' network namespaces and veths and the `stratus0` bridge, and its nftables
 * tables (`stratus-<node>`, `stratus-pods`) whose process is gone; returns what it did, one
 * line each. Run it when no Stratus agent runs on the host: the namespaces and bridge it
 * removes are those of the default names, whoever holds them.
 */
export async function cleanupLeftovers(): Promise<string[]> {
  const nft = findNft();
  if ('missing' in nft) return [`nftables: nothing to clean (${nft.missing})`];
  const pods = await removePodNetworkLeftovers();
  const tables = await orphanedStratusTables(nft.binary);
  for (const t of tables) await runNft(nft.binary, ['delete', 'table', 'ip', t]);
  return [
    ...pods,
    ...(tables.length === 0
      ? ['nftables: no Stratus table of a process that is gone']
      : tables.map((t) => `nftables: removed table ip ${t}`)),
  ];
}
