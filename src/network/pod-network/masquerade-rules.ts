import { ownerComment } from '../nftables/nft-ruleset.js';

/**
 * The nftables table of a node's pod network: outbound masquerade for pod traffic leaving the
 * bridge (as the bridge CNI plugin's ipMasq), and acceptance of the bridge's forwarded traffic
 * (a host with a forward policy of drop would otherwise cut pods off). Replaced atomically as
 * the kernel path replaces its table. Pure: returns the `nft -f` script.
 */

/** The script that (re)creates the table for a bridge and its pod range. */
export function masqueradeRuleset(table: string, bridge: string, podCidr: string): string {
  return [
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    `  ${ownerComment()}`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${podCidr} ip daddr != ${podCidr} oifname != "${bridge}" masquerade`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    `    iifname "${bridge}" accept`,
    `    oifname "${bridge}" ct state established,related accept`,
    '  }',
    '}',
    '',
  ].join('\n');
}
