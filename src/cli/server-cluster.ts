import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureClusterCa, issueCertificate, writeFileAtomic, type ClusterCa } from '../identity/index.js';
import { EtcdMemberProcess, openEtcdCluster, type EtcdTls } from '../store/index.js';
import { ClusterMembershipError } from './errors.js';
import { fetchBootstrap, writeBootstrapFiles } from './server-bootstrap.js';
import { ensureServerToken, parseServerToken, SERVER_TOKEN_FILE } from './server-token.js';

/** How a server takes part in a cluster with its own etcd member (k3s' embedded etcd). */
export interface ClusterOptions {
  /** Start a new cluster: the first member (`--cluster-init`). */
  init?: boolean;
  /** Join the cluster of the server at this API URL (`--join URL`), with `token`. */
  join?: string;
  /** The server token (DATA_DIR/token of a server of the cluster). */
  token?: string;
  /** etcd's client port (`--etcd-client-port`); default 2379. */
  clientPort?: number;
  /** etcd's peer port (`--etcd-peer-port`); default 2380. */
  peerPort?: number;
}

/** What a member keeps across restarts in DATA_DIR/etcd/config.json. */
interface MemberConfig {
  name: string;
  address: string;
  clientPort: number;
  peerPort: number;
  initialCluster: string;
  state: 'new' | 'existing';
}

/** A running member and how the store reaches the cluster. */
export interface ClusterMember {
  member: EtcdMemberProcess;
  name: string;
  /** `host:port` of every member's client URL, this one first. */
  endpoints: string[];
  tls: EtcdTls;
  tokenPath: string;
  close(): Promise<void>;
}

/** The member's files under DATA_DIR. */
export function clusterPaths(dataDir: string): {
  config: string;
  data: string;
  endpoints: string;
  memberCert: string;
  memberKey: string;
  clientCert: string;
  clientKey: string;
  ca: string;
  token: string;
} {
  const tls = join(dataDir, 'tls', 'etcd');
  return {
    config: join(dataDir, 'etcd', 'config.json'),
    data: join(dataDir, 'etcd', 'data'),
    endpoints: join(dataDir, 'etcd', 'endpoints.json'),
    memberCert: join(tls, 'member.crt'),
    memberKey: join(tls, 'member.key'),
    clientCert: join(tls, 'client.crt'),
    clientKey: join(tls, 'client.key'),
    ca: join(dataDir, 'tls', 'ca.crt'),
    token: join(dataDir, SERVER_TOKEN_FILE),
  };
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The TLS a client of the cluster's members uses (`stratus cluster leave`, the store). */
export async function clusterClientTls(dataDir: string): Promise<EtcdTls> {
  const p = clusterPaths(dataDir);
  const [ca, cert, key] = await Promise.all(
    [p.ca, p.clientCert, p.clientKey].map((f) => readFile(f, 'utf8')),
  );
  return { ca: ca ?? '', cert: cert ?? '', key: key ?? '' };
}

/**
 * Certificates of the member (serverAuth and clientAuth, for its client and peer ports, named by
 * its address and loopback) and of the store's client (clientAuth), signed by the cluster CA.
 * Issued at every start: they then always name the current address, and a year's validity
 * restarts with each start.
 */
async function issueEtcdCertificates(
  dataDir: string,
  ca: ClusterCa,
  address: string,
  now: number,
): Promise<EtcdTls> {
  const p = clusterPaths(dataDir);
  await mkdir(dirname(p.memberCert), { recursive: true, mode: 0o700 });
  const validity = { notBefore: now - 3_600_000, notAfter: now + 365 * 86_400_000 };
  const ip = /^[\d.]+$|:/.test(address);
  const member = issueCertificate(
    {
      commonName: 'stratus-etcd-member',
      isCa: false,
      usages: ['server', 'client'],
      sans: {
        dnsNames: ['localhost', ...(ip ? [] : [address])],
        ipAddresses: [...new Set(['127.0.0.1', ...(ip ? [address] : [])])],
      },
      ...validity,
    },
    ca,
  );
  const client = issueCertificate(
    { commonName: 'stratus-apiserver-etcd-client', isCa: false, usages: ['client'], ...validity },
    ca,
  );
  await writeFileAtomic(p.memberKey, member.key, 0o600);
  await writeFileAtomic(p.memberCert, member.cert, 0o644);
  await writeFileAtomic(p.clientKey, client.key, 0o600);
  await writeFileAtomic(p.clientCert, client.cert, 0o644);
  return { ca: ca.cert, cert: client.cert, key: client.key };
}

/**
 * Starts this server's etcd member: a new cluster (`init`), a member added to the cluster of the
 * server at `join` (the first server checks the token and hands over the CA, the ServiceAccount
 * key and the encryption config; this one then adds itself with MemberAdd), or, when the data
 * directory already holds a member, that member again (the flags are then not needed). The
 * store then reaches every member over TLS, this one first.
 */
export async function startClusterMember(
  dataDir: string,
  options: ClusterOptions & {
    host?: string;
    serverName?: string;
    encryptionConfigPath: string;
    nowMs: number;
    onNotice?: (line: string) => void;
  },
): Promise<ClusterMember> {
  const p = clusterPaths(dataDir);
  let config = await readJson<MemberConfig>(p.config);
  const address = ['0.0.0.0', '::', '', undefined].includes(options.host)
    ? '127.0.0.1'
    : (options.host as string);
  let joinEndpoints: string[] | undefined;
  if (config === undefined && options.join !== undefined) {
    if (options.token === undefined)
      throw new ClusterMembershipError('--join needs --token (DATA_DIR/token of a server of the cluster)');
    const { caHash } = parseServerToken(options.token);
    const bootstrap = await fetchBootstrap(options.join, options.token, caHash);
    await writeBootstrapFiles(dataDir, bootstrap.files, options.encryptionConfigPath);
    joinEndpoints = bootstrap.etcdEndpoints;
  } else if (config === undefined && options.init !== true) {
    throw new ClusterMembershipError(
      `no etcd member in ${dataDir}: start the first server with --cluster-init, others with --join URL --token T`,
    );
  }
  const ca = await ensureClusterCa(join(dataDir, 'tls'), { now: options.nowMs });
  const tokenText = await ensureServerToken(p.token, ca.cert);
  if (
    options.token !== undefined &&
    options.join !== undefined &&
    parseServerToken(options.token).secret !== parseServerToken(tokenText).secret
  )
    throw new ClusterMembershipError(
      `${p.token} holds another cluster's token: this data directory belongs to another cluster`,
    );
  const tls = await issueEtcdCertificates(dataDir, ca, config?.address ?? address, options.nowMs);
  if (config === undefined) {
    const name = `${(options.serverName ?? hostname()).toLowerCase()}-${randomBytes(4).toString('hex')}`;
    const clientPort = options.clientPort ?? 2379;
    const peerPort = options.peerPort ?? 2380;
    const peerUrl = `https://${address}:${peerPort}`;
    let initialCluster = `${name}=${peerUrl}`;
    let state: MemberConfig['state'] = 'new';
    if (joinEndpoints !== undefined) {
      const etcd = await openEtcdCluster(joinEndpoints, { tls });
      try {
        const added = await memberAddWhenHealthy(etcd, peerUrl);
        initialCluster = added.members
          .map((m) => `${m.ID === added.member.ID ? name : m.name}=${m.peerURLs[0] ?? ''}`)
          .join(',');
      } catch (err) {
        throw new ClusterMembershipError(`etcd refused to add ${peerUrl}: ${(err as Error).message}`);
      } finally {
        await etcd.close();
      }
      state = 'existing';
    }
    config = { name, address, clientPort, peerPort, initialCluster, state };
    // Written before the member starts: a retry after a failed start must not add it twice.
    await mkdir(dirname(p.config), { recursive: true, mode: 0o700 });
    await writeFileAtomic(p.config, JSON.stringify(config, null, 2) + '\n', 0o600);
  }
  const member = await EtcdMemberProcess.start({
    name: config.name,
    dataDir: p.data,
    address: config.address,
    clientPort: config.clientPort,
    peerPort: config.peerPort,
    initialCluster: config.initialCluster,
    state: config.state,
    files: { cert: p.memberCert, key: p.memberKey, ca: p.ca },
    tls,
    ...(options.onNotice !== undefined ? { onLog: options.onNotice } : {}),
  });
  try {
    const endpoints = await memberEndpoints(member.clientAddress, tls);
    await writeFileAtomic(p.endpoints, JSON.stringify(endpoints) + '\n', 0o644);
    return {
      member,
      name: config.name,
      endpoints,
      tls,
      tokenPath: p.token,
      close: () => member.close(),
    };
  } catch (err) {
    await member.close();
    throw err;
  }
}

/** The client addresses of every started member, `local` first. */
async function memberEndpoints(local: string, tls: EtcdTls): Promise<string[]> {
  const etcd = await openEtcdCluster([local], { tls });
  try {
    const others = (await etcd.memberList())
      .flatMap((m) => m.clientURLs.map((u) => u.replace(/^\w+:\/\//, '')))
      .filter((a) => a !== local);
    return [local, ...new Set(others)];
  } finally {
    await etcd.close();
  }
}

/** The members' client addresses a server's data directory knows, and its client TLS. */
export async function clusterEndpoints(dataDir: string): Promise<{ addresses: string[]; tls: EtcdTls }> {
  const addresses = await readJson<string[]>(clusterPaths(dataDir).endpoints);
  if (addresses === undefined)
    throw new ClusterMembershipError(`no etcd member in ${dataDir} (no etcd/endpoints.json)`);
  return { addresses, tls: await clusterClientTls(dataDir) };
}

/**
 * Removes the member of the stopped server at `dataDir` from its cluster, through the other
 * members, and deletes its data: etcd refuses a removed member that comes back, so the directory
 * may only start again with `--cluster-init` or `--join`. Refuses while the member still answers
 * (its server runs: stop it first), and when the others cannot be reached.
 */
export async function leaveCluster(dataDir: string): Promise<{ name: string; id: string }> {
  const p = clusterPaths(dataDir);
  const config = await readJson<MemberConfig>(p.config);
  if (config === undefined)
    throw new ClusterMembershipError(`no etcd member in ${dataDir} (no etcd/config.json)`);
  const { addresses, tls } = await clusterEndpoints(dataDir);
  const own = `${config.address}:${config.clientPort}`;
  const self = await openEtcdCluster([own], { tls });
  try {
    await self.status(own);
    throw new ClusterMembershipError(
      `the etcd member of ${dataDir} still answers at ${own}: stop its server first`,
    );
  } catch (err) {
    if (err instanceof ClusterMembershipError) throw err;
  } finally {
    await self.close();
  }
  const others = addresses.filter((a) => a !== own);
  if (others.length === 0)
    throw new ClusterMembershipError(
      `${config.name} is the only member its data directory knows of: nothing to leave`,
    );
  const etcd = await openEtcdCluster(others, { tls });
  try {
    const member = (await etcd.memberList()).find((m) => m.name === config.name);
    if (member === undefined)
      throw new ClusterMembershipError(`the cluster has no member ${config.name} (left already?)`);
    await etcd.memberRemove(member.ID);
    await rm(dirname(p.config), { recursive: true, force: true });
    return { name: config.name, id: member.ID };
  } finally {
    await etcd.close();
  }
}

/**
 * Removes the member of a dead server from the cluster, from any host with a live server's data
 * directory (`etcdctl member remove`): `name` is the member's name, its server's name (the
 * member is `SERVERNAME-<8 hex>`) or its ID in hex. Refuses while that member still answers
 * (removing a live member would stop its server's store), and removes the member's address from
 * `dataDir`'s `etcd/endpoints.json`. The dead server's directory can only start again with
 * `--cluster-init` or `--join`, after `stratus cluster leave` there (or deleting its `etcd/`).
 */
export async function removeClusterMember(
  dataDir: string,
  name: string,
): Promise<{ name: string; id: string }> {
  const { addresses, tls } = await clusterEndpoints(dataDir);
  const etcd = await openEtcdCluster(addresses, { tls });
  try {
    const members = await etcd.memberList();
    const hex = (id: string): string => BigInt(id).toString(16);
    const exact = members.filter((m) => m.name === name || hex(m.ID) === name.toLowerCase());
    const found =
      exact.length > 0
        ? exact
        : members.filter((m) => new RegExp(`^${escapeRegExp(name)}-[0-9a-f]{8}$`).test(m.name));
    const member = found[0];
    if (member === undefined || found.length > 1)
      throw new ClusterMembershipError(
        `${found.length > 1 ? `more than one etcd member matches "${name}"` : `the cluster has no etcd member "${name}"`} (members: ${members.map((m) => m.name).join(', ')})`,
      );
    const address = member.clientURLs[0]?.replace(/^\w+:\/\//, '');
    if (address !== undefined) {
      let answers = false;
      try {
        await etcd.status(address);
        answers = true;
      } catch {
        // Down, as expected.
      }
      if (answers)
        throw new ClusterMembershipError(
          `the etcd member ${member.name} still answers at ${address}: stop its server first (or run stratus cluster leave there)`,
        );
    }
    await etcd.memberRemove(member.ID);
    const path = clusterPaths(dataDir).endpoints;
    const kept = addresses.filter((a) => !member.clientURLs.some((u) => u.endsWith(`//${a}`)));
    await writeFileAtomic(path, JSON.stringify(kept) + '\n', 0o644);
    return { name: member.name, id: member.ID };
  } finally {
    await etcd.close();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * MemberAdd, repeated for up to 60 s while etcd answers "unhealthy cluster": with its strict
 * reconfiguration check etcd refuses a new member until every member has been connected for a
 * while (5 s), so a server joining right after another (or while one is down) waits for that.
 */
async function memberAddWhenHealthy(
  etcd: Awaited<ReturnType<typeof openEtcdCluster>>,
  peerUrl: string,
): ReturnType<Awaited<ReturnType<typeof openEtcdCluster>>['memberAdd']> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await etcd.memberAdd([peerUrl]);
    } catch (err) {
      if (!/unhealthy cluster/.test((err as Error).message) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
