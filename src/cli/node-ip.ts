import { connect, isIP } from 'node:net';
import { issueCertificate } from '../identity/index.js';
import { UsageError } from './errors.js';

function loopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * The address an agent registers its node with when `--node-ip` is not given (k3s' way): the
 * local address this host uses to reach the API server, which is then the address the server can
 * reach the agent at; 127.0.0.1 when the server is on loopback (one machine). A server that does
 * not answer within 10 s fails the start with that said.
 */
export async function detectNodeIP(server: string): Promise<string> {
  const url = new URL(server);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (loopback(host)) return '127.0.0.1';
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(10_000, () =>
      socket.destroy(new Error(`no connection to ${server} within 10 s to find this node's address`)),
    );
    socket.once('error', (err) =>
      reject(new UsageError(`cannot find this node's address (give --node-ip): ${err.message}`, 'agent')),
    );
    socket.once('connect', () => {
      const address = socket.localAddress ?? '';
      socket.destroy();
      resolve(address.replace(/^::ffff:/, ''));
    });
  });
}

/** `--node-ip`, checked: an IP literal that is not unspecified (0.0.0.0, ::). */
export function parseNodeIP(text: string): string {
  if (isIP(text) === 0 || text === '0.0.0.0' || text === '::')
    throw new UsageError(`--node-ip must be this node's IP address, not "${text}"`, 'agent');
  return text;
}

/**
 * The agent endpoint's TLS on an address other hosts reach (none on loopback, where nothing
 * crosses a network): a key and a self-signed certificate naming the node's address, made at
 * every start (valid a year) and published with the node's secret, where the API server takes
 * it as the one certificate it trusts for this node (pinned: no CA vouches for an agent).
 */
export function agentEndpointTls(
  node: string,
  address: string,
  nowMs = Date.now(),
): { key: string; cert: string } | undefined {
  if (address === '::1' || address.startsWith('127.')) return undefined;
  return issueCertificate({
    commonName: `system:node:${node}`,
    isCa: false,
    sans: { dnsNames: [], ipAddresses: [address] },
    notBefore: nowMs - 60_000,
    notAfter: nowMs + 365 * 86_400_000,
  });
}
