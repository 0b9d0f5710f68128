import type { DeviceSpec } from '../../objectstore/index.js';
import {
  flagBool,
  flagString,
  flagStrings,
  write,
  type Command,
  type CommandContext,
  type FlagValues,
} from '../command.js';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { durationFlag } from './duration-flag.js';
import { SERVICE_PROXY_OPTIONS, SERVICE_PROXY_USAGE, serviceProxyFlags } from './service-proxy-flag.js';
import type * as Up from '../up.js';
import type { ClusterOptions } from '../server-cluster.js';
import { existsSync } from 'node:fs';
import { RUNTIME_OPTIONS, RUNTIME_USAGE, defaultRuntimeFlag, podNetworkFor } from './runtime-flag.js';

const SERVE_OPTIONS = {
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  store: { type: 'string' },
  's3-port': { type: 'string' },
  'storage-device': { type: 'string', multiple: true },
  replicas: { type: 'string' },
  'node-monitor-grace-period': { type: 'string' },
  'horizontal-pod-autoscaler-sync-period': { type: 'string' },
  'metric-resolution': { type: 'string' },
  'pod-eviction-timeout': { type: 'string' },
  'scheduler-strategy': { type: 'string' },
  'encryption-provider-config': { type: 'string' },
  'audit-log-path': { type: 'string' },
  'audit-log-maxsize': { type: 'string' },
  'audit-log-maxbackup': { type: 'string' },
  'tls-san': { type: 'string', multiple: true },
  'tls-cert-file': { type: 'string' },
  'tls-private-key-file': { type: 'string' },
  's3-insecure-http': { type: 'boolean' },
  's3-region': { type: 'string' },
  'service-cluster-ip-range': { type: 'string' },
  'service-node-port-range': { type: 'string' },
  'cluster-cidr': { type: 'string' },
  'ingress-http-port': { type: 'string' },
  'ingress-https-port': { type: 'string' },
  'server-name': { type: 'string' },
  'leader-elect-lease-duration': { type: 'string' },
  'leader-elect-renew-deadline': { type: 'string' },
  'leader-elect-retry-period': { type: 'string' },
  'cluster-init': { type: 'boolean' },
  join: { type: 'string' },
  token: { type: 'string' },
  'etcd-client-port': { type: 'string' },
  'etcd-peer-port': { type: 'string' },
  'etcd-cafile': { type: 'string' },
  'etcd-certfile': { type: 'string' },
  'etcd-keyfile': { type: 'string' },
} as const;

const SERVE_FLAGS = `  --data-dir DIR   where state and the kubeconfig live (default: ./.stratus)
  --port N         the API port (default: 6443; 0 picks a free port)
  --host ADDR      the address to listen on (default: 127.0.0.1)
  --store URL      sqlite:PATH (default, in the data dir) or an external etcd:
                   etcd://host:2379,… (plaintext unless the flags below are
                   given) or https://host:2379,… (TLS)
  --etcd-cafile FILE, --etcd-certfile FILE, --etcd-keyfile FILE
                   TLS to an external etcd, as kube-apiserver's flags: the CA
                   that signed its members (default: the system's roots), and
                   this server's client certificate and key (--client-cert-auth)
  --cluster-init   start a cluster of several servers: this server runs an etcd
                   member (Debian's etcd, data in DATA_DIR/etcd, TLS from the
                   cluster CA) and keeps the state there; others join it with
                   the token in DATA_DIR/token
  --join URL --token TOKEN
                   join the cluster of the server at URL (https://HOST:6443) with
                   its server token: adds an etcd member here and serves the same
                   API (later starts need neither flag)
  --etcd-client-port N, --etcd-peer-port N
                   the etcd member's ports on --host (default: 2379, 2380)
  --s3-port N      the S3 endpoint's port (default: 9000; 0 picks a free port)
  --storage-device PATH[:WEIGHT[:ZONE]]
                   a storage device (a folder per disk); repeat for several
                   (default: one device in DATA_DIR/storage/dev0)
  --replicas N     copies of each object (default: min(3, devices))
  --node-monitor-grace-period DURATION
                   how long a node's Lease may go unrenewed before the node is
                   NotReady (default: 40s)
  --pod-eviction-timeout DURATION
                   how long pods stay on a NotReady node before they are evicted
                   and replaced elsewhere (default: 5m0s)
  --horizontal-pod-autoscaler-sync-period DURATION
                   how often each HorizontalPodAutoscaler is evaluated (default: 15s)
  --metric-resolution DURATION
                   how often the node agent samples CPU and memory (\`up\` only;
                   default: 15s; 0 turns sampling off)
  --scheduler-strategy binpack|spread
                   place pods on the most allocated node that fits (binpack,
                   the default) or the least allocated one (spread)
  --encryption-provider-config FILE
                   how Secrets and AccessKeys are encrypted at rest (kube-apiserver's
                   EncryptionConfiguration; default: DATA_DIR/encryption-config.yaml,
                   made with a fresh AES-GCM key on first start)
  --audit-log-path FILE
                   the audit log of every mutating and every refused API request,
                   JSON lines of audit.k8s.io/v1 Events (default: DATA_DIR/audit.log)
  --audit-log-maxsize MB
                   size at which the audit log is rotated (default: 50)
  --audit-log-maxbackup N
                   rotated audit logs kept, FILE.1 the newest (default: 5)
  --tls-san NAME   another host name or IP address the serving certificates are
                   valid for; repeat or separate with commas (localhost,
                   127.0.0.1, ::1, the host name, this machine's addresses and
                   --host are always there)
  --tls-cert-file FILE, --tls-private-key-file FILE
                   serve the API and S3 with this certificate (PEM, chain after
                   it) and key instead of ones signed by the cluster CA; re-read
                   daily, so a renewed file needs no restart
  --s3-insecure-http
                   serve S3 in plain HTTP instead of HTTPS (credentials and
                   objects then cross the network in the clear)
  --s3-region NAME the S3 endpoint's region, which GetBucketLocation answers
                   and clients sign for (default: us-east-1)
  --server-name NAME
                   this server's name among several on one etcd (default: the
                   host name); it renews the Lease kube-system/stratus-server-NAME
  --leader-elect-lease-duration DURATION, --leader-elect-renew-deadline DURATION,
  --leader-elect-retry-period DURATION
                   with --store etcd://…, the controllers and the scheduler run on
                   the holder of their Lease only (defaults 15s, 10s, 2s)
  --ingress-http-port N, --ingress-https-port N
                   the Ingress controller's ports (\`up\` only; default: 80 and
                   443 when root, else 8080 and 8443; 0 picks a free port)`;

/**
 * `stratus server`: the control plane in the foreground. Prints where the API listens and the
 * kubeconfig to use, and on SIGINT or SIGTERM closes everything and exits 0.
 */
export const serverCommand: Command = {
  name: 'server',
  summary: 'Run the control plane (API server) in the foreground',
  usage: `Usage: stratus server [flags]\n\n${SERVE_FLAGS}`,
  options: SERVE_OPTIONS,
  run: (ctx, values, positionals) => serve(ctx, values, positionals, 'server', () => []),
};

/**
 * `stratus up`: the whole one-machine cloud in one process (for now the API server; the node
 * agent and S3 gateway join through UP_COMPONENTS), data in ./.stratus by default.
 */
export const upCommand: Command = {
  name: 'up',
  summary: 'Start a one-machine cloud in the foreground (data in ./.stratus)',
  usage: `Usage: stratus up [flags]\n\n${SERVE_FLAGS}\n${SERVICE_PROXY_USAGE}\n${RUNTIME_USAGE}
  --cleanup        remove what a crashed \`stratus up\` left in the kernel (its
                   nftables tables) and exit`,
  options: { ...SERVE_OPTIONS, ...SERVICE_PROXY_OPTIONS, ...RUNTIME_OPTIONS, cleanup: { type: 'boolean' } },
  run: async (ctx, values, positionals) => {
    if (!flagBool(values, 'cleanup')) return serve(ctx, values, positionals, 'up', (up) => up.UP_COMPONENTS);
    const { cleanupLeftovers } = await import('../up-cleanup.js');
    await write(ctx.io.stdout, (await cleanupLeftovers()).join('\n') + '\n');
    return 0;
  },
};

function portFlag(values: FlagValues, flag: string, command: string): number | undefined {
  const text = flagString(values, flag);
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new UsageError(`--${flag} must be a port number, not "${text}"`, command);
  }
  return port;
}

/** A flag's text after `check` accepted it; what `check` throws becomes a usage error. */
function checkedFlag(
  values: FlagValues,
  flag: string,
  command: string,
  check: (text: string) => unknown,
): string | undefined {
  const text = flagString(values, flag);
  if (text === undefined) return undefined;
  try {
    check(text);
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`, command);
  }
  return text;
}

/** Parses `--storage-device PATH[:WEIGHT[:ZONE]]`. */
export function parseStorageDevice(text: string, index: number, command: string): DeviceSpec {
  const [path = '', weight, zone] = text.split(':');
  const w = weight === undefined || weight === '' ? 1 : Number(weight);
  if (path === '' || !(w > 0)) {
    throw new UsageError(
      `--storage-device must be PATH[:WEIGHT[:ZONE]] with a positive weight, not "${text}"`,
      command,
    );
  }
  return { id: `dev${index}`, path: resolve(path), weight: w, ...(zone ? { zone } : {}) };
}

/** `--audit-log-path`, `--audit-log-maxsize` (MB) and `--audit-log-maxbackup`, checked. */
function auditFlags(
  values: FlagValues,
  cwd: string,
  name: string,
): { path?: string; maxBytes?: number; maxBackups?: number } {
  const whole = (flag: string, min: number): number | undefined => {
    const text = flagString(values, flag);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`--${flag} must be a whole number of at least ${min}, not "${text}"`, name);
    return n;
  };
  const path = flagString(values, 'audit-log-path');
  const size = whole('audit-log-maxsize', 1);
  const backups = whole('audit-log-maxbackup', 0);
  return {
    ...(path === undefined ? {} : { path: resolve(cwd, path) }),
    ...(size === undefined ? {} : { maxBytes: size * 1024 * 1024 }),
    ...(backups === undefined ? {} : { maxBackups: backups }),
  };
}

/** `--etcd-cafile`, `--etcd-certfile`, `--etcd-keyfile` (TLS to an external etcd `--store`), as paths. */
function etcdTlsFlags(
  values: FlagValues,
  name: string,
  cwd: string,
): { caFile?: string; certFile?: string; keyFile?: string } | undefined {
  const [caFile, certFile, keyFile] = ['etcd-cafile', 'etcd-certfile', 'etcd-keyfile'].map((f) => {
    const v = flagString(values, f);
    return v === undefined ? undefined : resolve(cwd, v);
  });
  if (caFile === undefined && certFile === undefined && keyFile === undefined) return undefined;
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError('--etcd-certfile and --etcd-keyfile go together', name);
  const store = flagString(values, 'store');
  if (store === undefined || store.startsWith('sqlite:'))
    throw new UsageError(
      '--etcd-cafile, --etcd-certfile and --etcd-keyfile go with --store https://HOST:PORT,… (an external etcd); servers with --cluster-init/--join use the cluster CA',
      name,
    );
  return {
    ...(caFile !== undefined ? { caFile } : {}),
    ...(certFile !== undefined ? { certFile } : {}),
    ...(keyFile !== undefined ? { keyFile } : {}),
  };
}

/** `--cluster-init`, `--join URL --token T` and the etcd ports, or undefined without a cluster. */
function clusterFlags(values: FlagValues, name: string, cwd: string): ClusterOptions | undefined {
  const init = flagBool(values, 'cluster-init');
  const join = flagString(values, 'join');
  const token = flagString(values, 'token') ?? process.env['STRATUS_TOKEN'];
  const clientPort = portFlag(values, 'etcd-client-port', name);
  const peerPort = portFlag(values, 'etcd-peer-port', name);
  const dataDir = flagString(values, 'data-dir') ?? '.stratus';
  // A data directory that already holds a member restarts it without flags.
  const hasMember = existsSync(resolve(cwd, dataDir, 'etcd', 'config.json'));
  if (!init && join === undefined && !hasMember) {
    if (clientPort !== undefined || peerPort !== undefined)
      throw new UsageError('--etcd-client-port and --etcd-peer-port go with --cluster-init or --join', name);
    return undefined;
  }
  if (init && join !== undefined)
    throw new UsageError('--cluster-init starts a cluster, --join joins one: not both', name);
  if (join !== undefined && token === undefined)
    throw new UsageError('--join needs --token (DATA_DIR/token of a server of the cluster)', name);
  if (flagString(values, 'store') !== undefined)
    throw new UsageError(
      '--store and --cluster-init/--join exclude each other: the state is in the servers’ etcd',
      name,
    );
  return {
    ...(init ? { init } : {}),
    ...(join !== undefined ? { join } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(clientPort !== undefined ? { clientPort } : {}),
    ...(peerPort !== undefined ? { peerPort } : {}),
  };
}

async function serve(
  ctx: CommandContext,
  values: FlagValues,
  positionals: string[],
  name: string,
  components: (up: typeof Up) => readonly Up.UpComponent[],
): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`, name);
  const port = portFlag(values, 'port', name);
  const s3Port = portFlag(values, 's3-port', name) ?? 9000;
  const region = flagString(values, 's3-region');
  if (region !== undefined && !/^[a-z][a-z0-9-]{0,62}$/.test(region))
    throw new UsageError(`--s3-region must be a region name such as eu-west-1, not "${region}"`, name);
  const devices = flagStrings(values, 'storage-device').map((d, i) => parseStorageDevice(d, i, name));
  const replicasText = flagString(values, 'replicas');
  const replicas = replicasText === undefined ? undefined : Number(replicasText);
  if (replicas !== undefined && !(Number.isInteger(replicas) && replicas >= 1)) {
    throw new UsageError(`--replicas must be a whole number of at least 1, not "${replicasText}"`, name);
  }
  const grace = durationFlag(values, 'node-monitor-grace-period', { command: name });
  const eviction = durationFlag(values, 'pod-eviction-timeout', { command: name, min: 0 });
  const hpaSync = durationFlag(values, 'horizontal-pod-autoscaler-sync-period', { command: name });
  const resolution = durationFlag(values, 'metric-resolution', { command: name, min: 0 });
  const strategy = flagString(values, 'scheduler-strategy');
  if (strategy !== undefined && strategy !== 'binpack' && strategy !== 'spread') {
    throw new UsageError(`--scheduler-strategy must be binpack or spread, not "${strategy}"`, name);
  }
  const audit = auditFlags(values, ctx.io.cwd, name);
  const leaseDurationMs = durationFlag(values, 'leader-elect-lease-duration', { command: name });
  const renewDeadlineMs = durationFlag(values, 'leader-elect-renew-deadline', { command: name });
  const retryPeriodMs = durationFlag(values, 'leader-elect-retry-period', { command: name });
  const serverName = flagString(values, 'server-name');
  if (serverName !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/.test(serverName))
    throw new UsageError(`--server-name must be a lowercase DNS name, not "${serverName}"`, name);
  // Loaded here, not at the top: other commands should not pay for loading the API server.
  const { parsePodCidrs, parsePortRange, parseServiceCidr } = await import('../../api/index.js');
  const ipRange = checkedFlag(values, 'service-cluster-ip-range', name, parseServiceCidr);
  const portRange = checkedFlag(values, 'service-node-port-range', name, parsePortRange);
  const clusterCidr = checkedFlag(values, 'cluster-cidr', name, (t) => parsePodCidrs(t));
  const defaults = (await import('../up-ingress.js')).defaultIngressPorts();
  const ingress = {
    httpPort: portFlag(values, 'ingress-http-port', name) ?? defaults.httpPort,
    httpsPort: portFlag(values, 'ingress-https-port', name) ?? defaults.httpsPort,
  };
  const serviceProxy = name === 'up' ? serviceProxyFlags(values, name) : undefined;
  const defaultRuntime = name === 'up' ? defaultRuntimeFlag(values, name) : undefined;
  const signal = ctx.untilSignal();
  const dataDir = flagString(values, 'data-dir');
  const host = flagString(values, 'host');
  const store = flagString(values, 'store');
  const encryption = flagString(values, 'encryption-provider-config');
  const tlsSans = flagStrings(values, 'tls-san').flatMap((v) => v.split(',').filter((x) => x !== ''));
  const certFile = flagString(values, 'tls-cert-file');
  const keyFile = flagString(values, 'tls-private-key-file');
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError('--tls-cert-file and --tls-private-key-file go together', name);
  const cluster = clusterFlags(values, name, ctx.io.cwd);
  const etcdTls = etcdTlsFlags(values, name, ctx.io.cwd);
  // Loaded here, not at the top: other commands should not pay for loading the server.
  const up = await import('../up.js');
  const cloud = await up.startCloud(
    {
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(port === undefined ? {} : { apiPort: port }),
      ...(host === undefined ? {} : { host }),
      ...(store === undefined ? {} : { store }),
      ...(etcdTls === undefined ? {} : { etcdTls }),
      ...(cluster === undefined ? {} : { cluster }),
      s3Port,
      controllers: true,
      ...(devices.length > 0 ? { storageDevices: devices } : {}),
      ...(replicas === undefined ? {} : { replicas }),
      ...(grace === undefined ? {} : { nodeMonitorGracePeriodMs: grace }),
      ...(eviction === undefined ? {} : { podEvictionTimeoutMs: eviction }),
      ...(hpaSync === undefined ? {} : { hpa: { syncPeriodMs: hpaSync } }),
      ...(resolution === undefined || name !== 'up' ? {} : { metricsIntervalMs: resolution }),
      ...(strategy === undefined ? {} : { schedulerStrategy: strategy }),
      ...(encryption === undefined ? {} : { encryptionProviderConfig: resolve(ctx.io.cwd, encryption) }),
      audit,
      ...(tlsSans.length > 0 ? { tlsSans } : {}),
      ...(certFile === undefined ? {} : { tlsCertFile: resolve(ctx.io.cwd, certFile) }),
      ...(keyFile === undefined ? {} : { tlsKeyFile: resolve(ctx.io.cwd, keyFile) }),
      ...(flagBool(values, 's3-insecure-http') ? { s3InsecureHttp: true } : {}),
      ...(region === undefined ? {} : { s3Region: region }),
      ...(ipRange === undefined ? {} : { serviceClusterIPRange: ipRange }),
      ...(portRange === undefined ? {} : { serviceNodePortRange: portRange }),
      ...(clusterCidr === undefined ? {} : { clusterCidr }),
      ...(name === 'up' ? { ingress } : {}),
      ...(serverName === undefined ? {} : { serverName }),
      leaderElection: {
        ...(leaseDurationMs === undefined ? {} : { leaseDurationMs }),
        ...(renewDeadlineMs === undefined ? {} : { renewDeadlineMs }),
        ...(retryPeriodMs === undefined ? {} : { retryPeriodMs }),
      },
      onNotice: (line: string) => void ctx.io.stderr.write(`${line}\n`),
      ...(name === 'up' ? { serviceProxy: serviceProxy ?? 'none' } : {}),
      ...(defaultRuntime === undefined ? {} : { defaultRuntime }),
      // runc pods by default: they get the pod network (their own address, cluster DNS).
      ...(defaultRuntime === 'runc' ? { podNetwork: podNetworkFor(values) } : {}),
    },
    components(up),
  );
  await write(ctx.io.stdout, cloud.lines.join('\n') + '\n');
  const received = await signal;
  await write(ctx.io.stderr, `${received}: shutting down\n`);
  await cloud.close();
  return 0;
}
