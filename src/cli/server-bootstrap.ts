import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { dirname, join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { ApiExtension } from '../api/index.js';
import { SERVICE_ACCOUNT_KEY_FILE, writeFileAtomic } from '../identity/index.js';
import { openEtcdCluster, type EtcdTls } from '../store/index.js';
import { fetchPinnedCa } from './agent-join.js';
import { ClusterMembershipError } from './errors.js';
import { sameToken, SERVER_TOKEN_FILE } from './server-token.js';

/** The path a joining server asks, as k3s' `/v1-k3s/server-bootstrap`. */
export const SERVER_BOOTSTRAP_PATH = '/v1-stratus/server-bootstrap';

/** What every server of a cluster must share: the CA, the ServiceAccount key, the encryption config, the token. */
const SHARED_FILES = [
  'tls/ca.crt',
  'tls/ca.key',
  SERVICE_ACCOUNT_KEY_FILE,
  'encryption-config.yaml',
  SERVER_TOKEN_FILE,
];

/** A joining server's answer: the shared files (by their DATA_DIR path) and the members' client addresses. */
export interface ServerBootstrap {
  files: Record<string, string>;
  etcdEndpoints: string[];
}

/**
 * `POST /v1-stratus/server-bootstrap` on the API port, over TLS only, with the server token as a
 * bearer token: the shared files and where the etcd members are. Anything else is 401 (and a
 * plain-HTTP request 403), with no hint what a good token would be.
 */
export function serverBootstrapExtension(options: {
  dataDir: string;
  encryptionConfigPath: string;
  etcdEndpoints: string[];
  tls: EtcdTls;
}): ApiExtension {
  const source = (name: string): string =>
    name === 'encryption-config.yaml' ? options.encryptionConfigPath : join(options.dataDir, name);
  return {
    prefix: SERVER_BOOTSTRAP_PATH,
    unauthenticated: true,
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if ((req.socket as TLSSocket).encrypted !== true) return reply(403, { message: 'use https' });
      if (req.method !== 'POST') return reply(405, { message: 'use POST' });
      const token = (await readFile(join(options.dataDir, SERVER_TOKEN_FILE), 'utf8')).trim();
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!sameToken(given, token)) return reply(401, { message: 'Unauthorized' });
      const files: Record<string, string> = {};
      for (const name of SHARED_FILES) files[name] = await readFile(source(name), 'utf8');
      const etcd = await openEtcdCluster(options.etcdEndpoints, { tls: options.tls });
      try {
        const members = await etcd.memberList();
        const etcdEndpoints = members.flatMap((m) => m.clientURLs.map((u) => u.replace(/^\w+:\/\//, '')));
        reply(200, { files, etcdEndpoints } satisfies ServerBootstrap);
      } finally {
        await etcd.close();
      }
    },
  };
}

/**
 * Asks the server at `server` for the cluster's shared files: its CA must be the one whose hash
 * the token carries (checked on the TLS handshake before anything is sent), then the token goes
 * over TLS verified with that CA.
 */
export async function fetchBootstrap(
  server: string,
  token: string,
  caHash: string,
): Promise<ServerBootstrap> {
  const url = new URL(SERVER_BOOTSTRAP_PATH, server);
  if (url.protocol !== 'https:')
    throw new ClusterMembershipError(`--join needs an https:// URL, not "${server}"`);
  const ca = await fetchPinnedCa(server, caHash);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca,
        headers: { authorization: `Bearer ${token.trim()}`, 'content-length': 0 },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${server} within 30 s`)));
    req.on('error', reject);
    req.end();
  });
  if (status === 401) throw new ClusterMembershipError(`${server} refused the server token (401)`);
  if (status !== 200)
    throw new ClusterMembershipError(`${server} answered the join with HTTP ${status}: ${body}`);
  return JSON.parse(body) as ServerBootstrap;
}

/**
 * Writes the shared files into a joining server's data directory. One already there with other
 * content stops the join: the data directory belongs to another cluster.
 */
export async function writeBootstrapFiles(
  dataDir: string,
  files: Record<string, string>,
  encryptionConfigPath: string,
): Promise<void> {
  for (const name of SHARED_FILES) {
    const text = files[name];
    if (text === undefined) throw new ClusterMembershipError(`the server's answer lacks ${name}`);
    const path = name === 'encryption-config.yaml' ? encryptionConfigPath : join(dataDir, name);
    const existing = await readFile(path, 'utf8').catch(() => undefined);
    if (existing !== undefined && existing !== text)
      throw new ClusterMembershipError(
        `${path} is there with other content: ${dataDir} belongs to another cluster`,
        {
          path,
        },
      );
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, text, name === 'tls/ca.crt' ? 0o644 : 0o600);
  }
}
