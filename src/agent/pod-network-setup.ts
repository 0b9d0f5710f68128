/**
 * The node's pod network and cluster DNS, as the agent starts them for a runtime that
 * `needsSandbox`: the bridge on the node's `spec.podCIDR` (given by the control plane at
 * registration), sandboxes of pods no longer bound to the node removed, and a DNS server on the
 * bridge's gateway, the address every pod's resolv.conf names.
 */
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/index.js';
import { ClusterDns, PodNetwork, type PodNetworkNames } from '../network/index.js';

/** Options of the agent's pod network; every field has a default. */
export interface AgentPodNetworkOptions {
  /** Bridge, namespace prefix, nft table; default `stratus0`, `stratus-`, `stratus-pods`. */
  names?: Partial<PodNetworkNames>;
  /** The DNS server's port on the gateway; default 53; `false`: no DNS server. */
  dnsPort?: number | false;
  /** Resolvers for names outside the cluster; default the host's /etc/resolv.conf. */
  dnsUpstreams?: string[];
  /** Where ClusterIPs live, routed from pods to the host; default `['127.77.0.0/16']`. */
  serviceCidrs?: string[];
  /** Turn on the host's IPv4 forwarding for pods' outbound traffic; default true. */
  forwarding?: boolean;
}

/** What `startPodNetwork` made; `close()` stops the DNS server and leaves pods' sandboxes. */
export interface RunningPodNetwork {
  network: PodNetwork;
  dns: ClusterDns | undefined;
  close(): Promise<void>;
}

/** Opens the pod network of `nodeName` and reconciles it against the pods bound to the node. */
export async function startPodNetwork(
  client: KubeClient,
  nodeName: string,
  options: AgentPodNetworkOptions & { dataDir: string; onError: (err: unknown) => void },
): Promise<RunningPodNetwork> {
  const node = (await client.get('nodes', nodeName)) as Node;
  const podCIDR = node.spec?.podCIDR;
  if (podCIDR === undefined || podCIDR === '') throw new Error(`node ${nodeName} has no spec.podCIDR`);
  const network = await PodNetwork.open({
    podCIDR,
    stateDir: join(options.dataDir, 'pod-network'),
    ...(options.names === undefined ? {} : { names: options.names }),
    ...(options.serviceCidrs === undefined ? {} : { serviceCidrs: options.serviceCidrs }),
    ...(options.forwarding === undefined ? {} : { forwarding: options.forwarding }),
  });
  const pods = await client.list('pods', { allNamespaces: true, fieldSelector: `spec.nodeName=${nodeName}` });
  await network.reconcile(new Set(pods.items.map((p) => p.metadata.uid ?? '')));
  let dns: ClusterDns | undefined;
  if (options.dnsPort !== false) {
    dns = await ClusterDns.start({
      client,
      address: network.gateway,
      port: options.dnsPort ?? 53,
      ...(options.dnsUpstreams === undefined ? {} : { upstreams: options.dnsUpstreams }),
      onError: options.onError,
    });
  }
  return {
    network,
    dns,
    close: async () => {
      await dns?.close();
      await network.close();
    },
  };
}
