/**
 * What `stratus up --cleanup` removes of pod networks after a crash: every network namespace
 * with the prefix, the host veth ends still on the bridge, and the bridge (the
 * nft table goes with the other `stratus-*` tables). Run it when no agent runs on the host.
 */
import { ip, linkExists, netnsList } from './ip-command.js';
import { DEFAULT_POD_NETWORK_NAMES, type PodNetworkNames } from './pod-network-names.js';

/** Removes the leftovers; one line per thing removed (or one saying there was none). */
export async function removePodNetworkLeftovers(
  names: Pick<PodNetworkNames, 'bridge' | 'netnsPrefix'> = DEFAULT_POD_NETWORK_NAMES,
): Promise<string[]> {
  const lines: string[] = [];
  for (const ns of await netnsList()) {
    if (!ns.startsWith(names.netnsPrefix)) continue;
    await ip(['netns', 'del', ns]);
    lines.push(`pod network: removed network namespace ${ns}`);
  }
  if (linkExists(names.bridge)) {
    // Host ends still on the bridge (their namespace was held open by a process meanwhile).
    const veths = await ip(['-o', 'link', 'show', 'master', names.bridge]);
    for (const m of veths.matchAll(/^\d+:\s+(sv[0-9a-f]{13})[@:]/gm)) {
      const name = m[1] as string;
      await ip(['link', 'del', name]).catch(() => undefined);
      lines.push(`pod network: removed veth ${name}`);
    }
    await ip(['link', 'del', names.bridge]);
    lines.push(`pod network: removed bridge ${names.bridge}`);
  }
  return lines.length === 0 ? ['pod network: nothing left'] : lines;
}
