/**
 * The files Kubernetes writes for a pod's network sandbox: `/etc/hosts` (the kubelet's
 * managed hosts file) and `/etc/resolv.conf` (ClusterFirst DNS policy). Pure.
 */

/** What a pod's DNS configuration is made from. */
export interface ResolvConfOptions {
  /** The cluster DNS server's address. */
  nameserver: string;
  namespace: string;
  /** Default `cluster.local`. */
  clusterDomain?: string;
}

/** The kubelet's hosts file: localhost entries, then the pod's address with its hostname (and FQDN). */
export function hostsFile(hostname: string, podIP: string, options: { fqdn?: string } = {}): string {
  const names =
    options.fqdn !== undefined && options.fqdn !== hostname ? `${options.fqdn}\t${hostname}` : hostname;
  return [
    '# Kubernetes-managed hosts file (Stratus).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    `${podIP}\t${names}`,
    '',
  ].join('\n');
}

/** The search path Kubernetes gives a pod of `namespace`. */
export function searchDomains(namespace: string, clusterDomain = 'cluster.local'): string[] {
  return [`${namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain];
}

/** A ClusterFirst resolv.conf: the cluster DNS server, the namespace's search path, ndots 5. */
export function resolvConf(options: ResolvConfOptions): string {
  return [
    `search ${searchDomains(options.namespace, options.clusterDomain).join(' ')}`,
    `nameserver ${options.nameserver}`,
    'options ndots:5',
    '',
  ].join('\n');
}
