/**
 * A node's pod network, as the bridge CNI plugin with host-local IPAM builds it: a bridge with
 * the node's gateway address (first of `node.spec.podCIDR`), and per pod a network namespace
 * (`/run/netns/<prefix><uid>`) joined to it by a veth pair, with an address from the range, lo
 * up, a default route via the gateway, and the files the pod's containers see as `/etc/hosts`
 * and `/etc/resolv.conf`. Outbound traffic is masqueraded by an nftables table of the node's own.
 *
 * Services: ClusterIPs live on the host's loopback (127.77.0.0/16 by default), so the pod gets
 * a route for each service range via the gateway in its `local` table (longer than lo's
 * 127.0.0.0/8, which it would otherwise hit), and `route_localnet` on its eth0 and on the bridge
 * (as kube-proxy sets it for localhost NodePorts): packets to a ClusterIP leave the pod, reach
 * the host on the bridge and are taken by the proxy's listener (or the kernel path's DNAT),
 * and replies from 127.77.x.y may go back out of the bridge.
 *
 * Needs root, iproute2 and nft. Pods outlive the object: `close()` leaves them, `reconcile`
 * (at start) removes what belongs to pods that are gone, `destroy()` removes everything.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findNft, runNft } from '../nftables/nftables-data-plane.js';
import { podNetworkFailed } from '../errors.js';
import { ip, ipBatch, linkExists, netnsExists, netnsList, setNetSysctl } from './ip-command.js';
import { IpamStore } from './ipam-store.js';
import { masqueradeRuleset } from './masquerade-rules.js';
import { staleRecords } from './pod-ipam.js';
import {
  DEFAULT_POD_NETWORK_NAMES,
  hostVethName,
  netnsName,
  validInterfaceName,
  type PodNetworkNames,
} from './pod-network-names.js';
import { parsePodRange, type PodRange } from './pod-range.js';
import { hostsFile, resolvConf } from './sandbox-files.js';

/**
 * A pod's network sandbox, the shape of the runtime's `ContainerSpec.sandbox` (the network part
 * sits below the runtime, so the agent passes this on as it is).
 */
export interface PodSandbox {
  /** The network namespace to join, `/run/netns/<prefix><pod uid>`. */
  netnsPath: string;
  podIP: string;
  hostname: string;
  /** Host files to bind-mount at `/etc/hosts` and `/etc/resolv.conf`. */
  hostsFile: string;
  resolvConfFile: string;
}

/** What `PodNetwork.open` needs. */
export interface PodNetworkOptions {
  /** The node's pod range, `node.spec.podCIDR`. */
  podCIDR: string;
  /** Where address records and sandbox files live (the agent's data dir + `/pod-network`). */
  stateDir: string;
  /** Bridge, namespace prefix and nft table; default `stratus0`, `stratus-`, `stratus-pods`. */
  names?: Partial<PodNetworkNames>;
  /** The resolv.conf nameserver; default the gateway (where the agent's DNS server listens). */
  dnsServer?: string;
  /** Default `cluster.local`. */
  clusterDomain?: string;
  /** Ranges routed from pods to the host (where ClusterIPs live); default `['127.77.0.0/16']`. */
  serviceCidrs?: string[];
  /**
   * Turn on the host's `net.ipv4.ip_forward` so masqueraded pod traffic can leave the node, as
   * the kubelet's network plugins do; default true. Tests whose traffic stays local pass false.
   */
  forwarding?: boolean;
}

/** The pod fields a sandbox is made from. */
export interface SandboxPod {
  uid: string;
  namespace: string;
  name: string;
  /** `spec.hostname`; default the pod's name. */
  hostname?: string;
  /** `spec.subdomain`: the hosts file then names `HOSTNAME.SUBDOMAIN.NS.svc.DOMAIN` too. */
  subdomain?: string;
}

/** See the file comment. */
export class PodNetwork {
  readonly range: PodRange;
  readonly names: PodNetworkNames;
  private readonly ipam: IpamStore;
  private readonly dnsServer: string;
  private readonly clusterDomain: string;
  private readonly serviceCidrs: string[];
  /** The last whole-network step (reconcile, destroy): pods' steps start after it. */
  private exclusive: Promise<unknown> = Promise.resolve();
  /** Each pod's last step, so one pod's setUp and tearDown run in order. */
  private readonly perPod = new Map<string, Promise<unknown>>();

  private constructor(private readonly options: PodNetworkOptions) {
    this.range = parsePodRange(options.podCIDR);
    this.names = { ...DEFAULT_POD_NETWORK_NAMES, ...options.names };
    if (!validInterfaceName(this.names.bridge))
      throw podNetworkFailed('bridge', `bad name "${this.names.bridge}"`);
    this.ipam = new IpamStore(join(options.stateDir, 'ips'), this.range);
    this.dnsServer = options.dnsServer ?? this.range.gateway;
    this.clusterDomain = options.clusterDomain ?? 'cluster.local';
    this.serviceCidrs = options.serviceCidrs ?? ['127.77.0.0/16'];
  }

  /** Why pod networks cannot run here, or undefined when they can (root on Linux with nft). */
  static unavailable(): string | undefined {
    const nft = findNft();
    return 'missing' in nft ? nft.missing : undefined;
  }

  /** Makes (or takes over) the bridge, its address and sysctls, and the masquerade table. */
  static async open(options: PodNetworkOptions): Promise<PodNetwork> {
    const net = new PodNetwork(options);
    await net.ensureHost();
    return net;
  }

  /** The gateway address (the bridge's), where the node's DNS server listens. */
  get gateway(): string {
    return this.range.gateway;
  }

  /** The network namespace path of a pod (whether or not it exists). */
  netnsPath(podUid: string): string {
    return `/run/netns/${netnsName(this.names, podUid)}`;
  }

  /**
   * Makes the pod's sandbox, or returns the one a previous call (or agent) made. Idempotent.
   * Pods' sandboxes are made concurrently (the address is taken synchronously, so two pods never
   * get the same one): ten pods starting at once wait for each other's `ip` runs no more.
   */
  setUp(pod: SandboxPod): Promise<PodSandbox> {
    return this.forPod(pod.uid, () => this.doSetUp(pod));
  }

  /** Removes the pod's namespace, veth, address record and files. Idempotent. */
  tearDown(podUid: string): Promise<void> {
    return this.forPod(podUid, () => this.doTearDown(podUid));
  }

  /** Removes every sandbox, address record and host veth of a pod not in `live` (at agent start). */
  reconcile(live: ReadonlySet<string>): Promise<string[]> {
    return this.serial(async () => {
      const gone = new Set<string>();
      for (const ns of await netnsList()) {
        if (!ns.startsWith(this.names.netnsPrefix)) continue;
        const uid = ns.slice(this.names.netnsPrefix.length);
        if (!live.has(uid)) gone.add(uid);
      }
      for (const r of staleRecords(this.ipam.records(), live, this.range)) {
        if (!live.has(r.podUid)) gone.add(r.podUid);
        else this.ipam.remove(r.ip);
      }
      for (const uid of gone) await this.doTearDown(uid);
      // Host veths on the bridge whose namespace is gone (a crash between the two steps).
      const liveVeths = new Set([...live].map(hostVethName));
      const out = await ip(['-o', 'link', 'show', 'master', this.names.bridge]);
      for (const m of out.matchAll(/^\d+:\s+([^:@\s]+)/gm)) {
        const name = m[1] as string;
        if (name.startsWith('sv') && !liveVeths.has(name))
          await ip(['link', 'del', name]).catch(() => undefined);
      }
      return [...gone];
    });
  }

  /** Leaves pods and the bridge as they are (pods outlive their agent); waits for work in flight. */
  async close(): Promise<void> {
    await Promise.all([this.exclusive, ...this.perPod.values()]);
  }

  /** Tears down every pod of this network and removes the bridge and the nft table. */
  async destroy(): Promise<void> {
    await this.reconcile(new Set());
    await this.serial(async () => {
      if (linkExists(this.names.bridge)) await ip(['link', 'del', this.names.bridge]);
      const nft = findNft();
      if ('binary' in nft)
        await runNft(nft.binary, ['delete', 'table', 'ip', this.names.table]).catch(() => undefined);
    });
  }

  /** Runs a whole-network step after every step in flight, and before any step asked later. */
  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = Promise.all([this.exclusive, ...this.perPod.values()]).then(step);
    this.exclusive = run.catch(() => undefined);
    return run;
  }

  /** Runs a pod's step after that pod's previous one and the last whole-network step. */
  private forPod<T>(podUid: string, step: () => Promise<T>): Promise<T> {
    const run = Promise.all([this.exclusive, this.perPod.get(podUid)]).then(step);
    const settled = run.catch(() => undefined);
    this.perPod.set(podUid, settled);
    void settled.then(() => {
      if (this.perPod.get(podUid) === settled) this.perPod.delete(podUid);
    });
    return run;
  }

  private async ensureHost(): Promise<void> {
    const { bridge, table } = this.names;
    if (!linkExists(bridge)) await ip(['link', 'add', bridge, 'type', 'bridge']);
    // Another agent's bridge (or one of a range this node no longer has): refuse rather than fight.
    const own = `${this.range.gateway}/${this.range.prefix}`;
    const held = [...(await ip(['-o', '-4', 'addr', 'show', 'dev', bridge])).matchAll(/inet (\S+)/g)].map(
      (m) => m[1],
    );
    const other = held.find((a) => a !== own);
    if (other !== undefined) {
      throw podNetworkFailed(
        `bridge ${bridge}`,
        `it has ${other}, not ${own}: another agent on this host uses it (give each agent its own names), or it is left from another pod range (remove it with stratus up --cleanup)`,
      );
    }
    await ip(['addr', 'replace', `${this.range.gateway}/${this.range.prefix}`, 'dev', bridge]);
    await ip(['link', 'set', bridge, 'up']);
    await setNetSysctl(`net.ipv4.conf.${bridge}.route_localnet`, '1');
    if (this.options.forwarding !== false) await setNetSysctl('net.ipv4.ip_forward', '1');
    const nft = findNft();
    if ('missing' in nft) throw podNetworkFailed('nftables', nft.missing);
    await runNft(nft.binary, ['-f', '-'], masqueradeRuleset(table, bridge, this.range.cidr));
  }

  private async doSetUp(pod: SandboxPod): Promise<PodSandbox> {
    const ns = netnsName(this.names, pod.uid);
    const podIP = this.ipam.allocate(pod.uid);
    const hostname = (pod.hostname ?? pod.name).slice(0, 63);
    if (!(await this.complete(ns, podIP))) {
      await this.removeKernelObjects(pod.uid);
      const veth = hostVethName(pod.uid);
      await ipBatch([
        `netns add ${ns}`,
        `link add ${veth} type veth peer name eth0 netns ${ns}`,
        `link set ${veth} master ${this.names.bridge} up`,
      ]);
      const { gateway, prefix } = this.range;
      await ipBatch(
        [
          'link set lo up',
          `addr add ${podIP}/${prefix} dev eth0`,
          'link set eth0 up',
          `route add default via ${gateway} dev eth0`,
          ...this.serviceCidrs.map((c) => `route add ${c} via ${gateway} dev eth0 src ${podIP} table local`),
        ],
        ns,
      );
      await setNetSysctl('net.ipv4.conf.eth0.route_localnet', '1', ns);
    }
    const dir = join(this.options.stateDir, 'sandboxes', pod.uid);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const hostsPath = join(dir, 'hosts');
    const resolvPath = join(dir, 'resolv.conf');
    const fqdn =
      pod.subdomain !== undefined && pod.subdomain !== ''
        ? `${hostname}.${pod.subdomain}.${pod.namespace}.svc.${this.clusterDomain}`
        : undefined;
    await writeFile(hostsPath, hostsFile(hostname, podIP, fqdn === undefined ? {} : { fqdn }), {
      mode: 0o644,
    });
    await writeFile(
      resolvPath,
      resolvConf({ nameserver: this.dnsServer, namespace: pod.namespace, clusterDomain: this.clusterDomain }),
      { mode: 0o644 },
    );
    return {
      netnsPath: `/run/netns/${ns}`,
      podIP,
      hostname,
      hostsFile: hostsPath,
      resolvConfFile: resolvPath,
    };
  }

  /** True when the namespace exists with eth0 holding the address (a finished earlier setUp). */
  private async complete(ns: string, podIP: string): Promise<boolean> {
    if (!netnsExists(ns)) return false;
    const out = await ip(['-n', ns, '-o', '-4', 'addr', 'show', 'dev', 'eth0']).catch(() => '');
    const route = await ip(['-n', ns, 'route', 'show', 'default']).catch(() => '');
    return out.includes(` ${podIP}/`) && route.includes(this.range.gateway);
  }

  private async removeKernelObjects(podUid: string): Promise<void> {
    const ns = netnsName(this.names, podUid);
    if (netnsExists(ns)) await ip(['netns', 'del', ns]);
    const veth = hostVethName(podUid);
    if (linkExists(veth)) await ip(['link', 'del', veth]).catch(() => undefined);
  }

  private async doTearDown(podUid: string): Promise<void> {
    await this.removeKernelObjects(podUid);
    this.ipam.release(podUid);
    await rm(join(this.options.stateDir, 'sandboxes', podUid), { recursive: true, force: true });
  }
}
