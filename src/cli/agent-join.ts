import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { KubeClient, StatusError } from '../client/index.js';
import {
  BOOTSTRAP_TOKEN_PATTERN,
  caCertHash,
  kubeconfigText,
  nodeIdentity,
  NODE_TOKEN_TTL_MS,
  writeKubeconfig,
} from '../identity/index.js';
import { UsageError } from './errors.js';

/** Where an agent keeps its node credential: a kubeconfig in its data directory (0600), as k3s' `kubelet.kubeconfig`. */
export const NODE_KUBECONFIG = 'kubelet.kubeconfig';
/** A credential this close to its expiry is renewed (at start, and by the daily check). */
const RENEW_BEFORE_MS = 90 * 86_400_000;

/** How an agent finds or gets its node credential. */
export interface JoinOptions {
  dataDir: string;
  nodeName: string;
  server?: string;
  /** A bootstrap token (`abcdef.0123456789abcdef`) to join with, or any bearer token to use as it is. */
  token?: string;
  /** `sha256:HEX`: the CA the server's certificate chain must contain (kubeadm's `--discovery-token-ca-cert-hash`). */
  caCertHash?: string;
  insecureSkipTlsVerify?: boolean;
  warn(message: string): void;
}

/** An agent's client and what keeps its credential fresh. */
export interface NodeSession {
  client: KubeClient;
  /** Renews the stored credential when it is within 90 days of expiry; a no-op otherwise. */
  renewIfDue(): Promise<void>;
}

/**
 * The certificate in the server's TLS chain whose public key hash is `hash`, as PEM: the CA the
 * agent then trusts. Nothing the server sends is believed before the hash matches.
 */
export async function fetchPinnedCa(server: string, hash: string): Promise<string> {
  const url = new URL(server);
  const chain = await new Promise<PeerCertificate[]>((resolve, reject) => {
    const socket = connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 443),
      rejectUnauthorized: false,
      ...(/^[\d.]+$|:/.test(url.hostname) ? {} : { servername: url.hostname }),
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no TLS handshake with ${server} within 10 s`)));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const certs: PeerCertificate[] = [];
      let cert: PeerCertificate | undefined = socket.getPeerCertificate(true);
      while (cert !== undefined && cert.raw !== undefined && !certs.some((c) => c.raw.equals(cert!.raw))) {
        certs.push(cert);
        const next: PeerCertificate | undefined = (
          cert as PeerCertificate & { issuerCertificate?: PeerCertificate }
        ).issuerCertificate;
        cert = next;
      }
      socket.end();
      resolve(certs);
    });
  });
  const pems = chain.map((c) => new X509Certificate(c.raw).toString());
  const match = pems.find((pem) => caCertHash(pem) === hash);
  if (match === undefined) {
    throw new UsageError(
      `the server's certificates (${pems.map(caCertHash).join(', ') || 'none'}) include no CA with --ca-cert-hash ${hash}: ` +
        'this is not the cluster the join command was made for',
      'agent',
    );
  }
  return match;
}

async function whoami(client: KubeClient): Promise<string> {
  const res = await client.request<{ status?: { userInfo?: { username?: string; groups?: string[] } } }>(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } },
  );
  const info = res.body.status?.userInfo;
  return (
    nodeIdentity({ username: info?.username ?? '', groups: info?.groups ?? [] }) ??
    `user ${info?.username ?? ''}`
  );
}

async function requestCredential(client: KubeClient, node: string): Promise<string> {
  const res = await client.request<{ status?: { token?: string } }>(
    'POST',
    '/apis/iam.stratus.dev/v1/nodecredentialrequests',
    { body: { apiVersion: 'iam.stratus.dev/v1', kind: 'NodeCredentialRequest', spec: { nodeName: node } } },
  );
  const token = res.body.status?.token;
  if (token === undefined || token === '') throw new Error('the server answered the join without a token');
  return token;
}

function clientFor(server: string, token: string, ca: string | undefined, insecure: boolean): KubeClient {
  return new KubeClient({
    server: server.replace(/\/$/, ''),
    token,
    namespace: 'default',
    contextName: 'agent',
    ...(ca !== undefined ? { certificateAuthorityData: ca } : {}),
    ...(insecure ? { insecureSkipTlsVerify: true } : {}),
  });
}

/**
 * Gets the agent its client, as kubelet TLS bootstrapping does: the node credential stored in
 * DATA_DIR/kubelet.kubeconfig when there is one that the server still accepts (and names this
 * node); else, given a bootstrap token, it joins — trusting the server's CA only once it matches
 * `--ca-cert-hash` (https) — asks for `system:node:NAME`'s credential with a
 * NodeCredentialRequest and stores it (0600). Any other token is used as given, with a warning
 * when it is not a node's.
 */
export async function joinCluster(options: JoinOptions): Promise<NodeSession> {
  const file = join(options.dataDir, NODE_KUBECONFIG);
  const expected = options.nodeName;
  if (existsSync(file)) {
    const stored = KubeClient.fromKubeconfig(file);
    const config = {
      ...stored.config,
      ...(options.server ? { server: options.server.replace(/\/$/, '') } : {}),
    };
    await stored.close();
    const client = new KubeClient(config);
    try {
      const who = await whoami(client);
      if (who !== expected)
        throw new UsageError(
          `${file} holds the credential of ${who === '' ? 'an unnamed node' : `"${who}"`}, not of node "${expected}"`,
          'agent',
        );
      return session(client, file, options);
    } catch (err) {
      await client.close();
      const refused = err instanceof StatusError && err.status === 401;
      if (!refused || options.token === undefined || !BOOTSTRAP_TOKEN_PATTERN.test(options.token)) {
        if (refused)
          throw new UsageError(
            `the node credential in ${file} was refused (revoked or expired): join again with --server URL --token JOIN-TOKEN (stratus token create --join)`,
            'agent',
          );
        throw err;
      }
      options.warn(`the node credential in ${file} was refused; joining again with the bootstrap token`);
    }
  }
  const { server, token } = options;
  if (server === undefined || token === undefined)
    throw new UsageError(
      `no node credential in ${options.dataDir}: join with --server URL --token JOIN-TOKEN (stratus token create --join prints the command)`,
      'agent',
    );
  const https = server.startsWith('https:');
  if (!BOOTSTRAP_TOKEN_PATTERN.test(token)) {
    const client = clientFor(server, token, undefined, options.insecureSkipTlsVerify === true);
    const who = await whoami(client);
    if (who !== expected)
      options.warn(
        `this token is ${who.startsWith('user ') ? who : `node "${who}"`}, not node "${expected}": join with a bootstrap token (stratus token create --join) instead`,
      );
    return { client, renewIfDue: () => Promise.resolve() };
  }
  if (https && options.caCertHash === undefined && options.insecureSkipTlsVerify !== true)
    throw new UsageError(
      'give --ca-cert-hash sha256:… (printed by stratus token create --join) to check the server, or --insecure-skip-tls-verify',
      'agent',
    );
  const ca =
    https && options.caCertHash !== undefined ? await fetchPinnedCa(server, options.caCertHash) : undefined;
  const bootstrap = clientFor(server, token, ca, ca === undefined && options.insecureSkipTlsVerify === true);
  try {
    const credential = await requestCredential(bootstrap, expected);
    await writeCredential(file, server, credential, ca, expected);
  } finally {
    await bootstrap.close();
  }
  const client = KubeClient.fromKubeconfig(file);
  return session(client, file, options);
}

async function writeCredential(
  file: string,
  server: string,
  token: string,
  ca: string | undefined,
  node: string,
): Promise<void> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  await writeKubeconfig(
    file,
    kubeconfigText(server.replace(/\/$/, ''), token, {
      ...(ca !== undefined ? { caCert: ca } : {}),
      user: `system:node:${node}`,
      context: 'stratus-node',
    }),
  );
}

function session(client: KubeClient, file: string, options: JoinOptions): NodeSession {
  const renewIfDue = async (): Promise<void> => {
    const issued = statSync(file).mtimeMs;
    if (Date.now() < issued + NODE_TOKEN_TTL_MS - RENEW_BEFORE_MS) return;
    const token = await requestCredential(client, options.nodeName);
    await writeCredential(
      file,
      client.config.server,
      token,
      client.config.certificateAuthorityData,
      options.nodeName,
    );
    client.config.token = token;
  };
  return { client, renewIfDue };
}
