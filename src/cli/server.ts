import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ApiServer,
  AuditLog,
  ensureDefaultNamespaces,
  LimitRangerAdmission,
  QuotaAdmission,
  WATCH_CACHE_INDEXES,
  type ApiServerOptions,
} from '../api/index.js';
import { systemClock, type Clock } from '../common/clock.js';
import {
  bootstrapAdmin,
  startAuthorization,
  type Authorization,
  type ServingTls,
} from '../identity/index.js';
import { createRegistry } from '../resources/index.js';
import {
  BucketMirror,
  openObjectStore,
  storageApiExtensions,
  type DeviceSpec,
  type EngineObjectStore,
} from '../objectstore/index.js';
import {
  ACCESS_KEY_RESOURCE,
  bootstrapS3Admin,
  startS3Gateway,
  StoreCredentials,
} from '../objectstore/s3/index.js';
import {
  EncryptingStore,
  loadEncryptionConfig,
  SqliteStore,
  WatchCache,
  type Store,
} from '../store/index.js';
import { KubeClient } from '../client/index.js';
import type { ConnectionLimits, GuardStats } from '../connections/index.js';
import { reserveForStore } from './store-reserve.js';
import { openServingTls } from './serving-tls.js';
import {
  NodeLifecycleController,
  startControllerManager,
  type NodeLifecycleOptions,
} from '../controllers/index.js';

/** Options of the server role; every field but dataDir has a default. */
export interface ServerOptions {
  /** Where state, the kubeconfig and credentials live. */
  dataDir: string;
  /** The API port; default 6443, 0 picks a free one. */
  apiPort?: number;
  /** The address to listen on; default 127.0.0.1. */
  host?: string;
  /** `sqlite:PATH`; default `sqlite:DATA_DIR/state.db`. */
  store?: string;
  /** Default: the system clock. */
  clock?: Clock;
  /** Interval of watch BOOKMARK events (default one minute); tests shorten it. */
  bookmarkIntervalMs?: number;
  /**
   * The S3 gateway's port (0 picks a free one). Unset: no object store runs; the CLI's
   * `server` and `up` pass 9000 unless told otherwise.
   */
  s3Port?: number;
  /** Storage devices (one folder per disk); default one device, DATA_DIR/storage/dev0. */
  storageDevices?: DeviceSpec[];
  /** Copies of each object; default min(3, number of devices). */
  replicas?: number;
  /**
   * Run the controllers and the scheduler (Deployment, ReplicaSet, DaemonSet, Job, CronJob,
   * node lifecycle). Default false, so that a test of the API alone sees only its own writes;
   * the CLI's `server` and `up` turn them on.
   */
  controllers?: boolean;
  /**
   * How long a node's Lease may go unrenewed before the node is NotReady (Ready Unknown, the
   * unreachable taints); default 40 000 ms, as kube-controller-manager's
   * `--node-monitor-grace-period`.
   */
  nodeMonitorGracePeriodMs?: number;
  /**
   * How long pods stay on a NotReady node before they are evicted and replaced elsewhere;
   * default 300 000 ms, as kube-controller-manager's `--pod-eviction-timeout`.
   */
  podEvictionTimeoutMs?: number;
  /** How the scheduler scores nodes: `binpack` (most allocated first, the default) or `spread`. */
  schedulerStrategy?: 'binpack' | 'spread';
  /** Where Service cluster IPs come from (`--service-cluster-ip-range`); default 127.77.0.0/16. */
  serviceClusterIPRange?: string;
  /** Where node ports come from (`--service-node-port-range`); default 30000-32767. */
  serviceNodePortRange?: string;
  /**
   * Tuning of the API server: its port's connection timeouts and caps (default
   * `API_CONNECTION_LIMITS`), how long a node's agent may take to answer a log request.
   */
  api?: Pick<ApiServerOptions, 'podLogTimeoutMs' | 'connections'>;
  /** The S3 port's connection timeouts and caps; default `S3_CONNECTION_LIMITS`. */
  s3Connections?: ConnectionLimits;
  /**
   * kube-apiserver's `--encryption-provider-config`: an EncryptionConfiguration file saying how
   * Secrets and AccessKeys are encrypted at rest. Default DATA_DIR/encryption-config.yaml, made
   * with a fresh AES-GCM key (mode 0600) on first start.
   */
  encryptionProviderConfig?: string;
  /**
   * The audit log of every mutating and every refused API request (kube-apiserver's
   * `--audit-log-path`, `-maxsize`, `-maxbackup`): default DATA_DIR/audit.log, 50 MiB, 5 backups.
   */
  audit?: { path?: string; maxBytes?: number; maxBackups?: number };
  /**
   * More names and addresses for the serving certificates (k3s' `--tls-san`); loopback, the host
   * name, the node's addresses and `host` are always there.
   */
  tlsSans?: string[];
  /** A certificate (PEM, chain after it) and key of the user's own for the API and S3 ports. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** Serve S3 in plain HTTP instead of HTTPS (`--s3-insecure-http`); default false. */
  s3InsecureHttp?: boolean;
}

/** The object store part of a running server. */
export interface RunningObjectStore {
  /** `https://127.0.0.1:PORT`, the S3 endpoint (`http://` with `s3InsecureHttp`). */
  url: string;
  /** The admin's access key pair in aws-cli credentials format (mode 0600). */
  credentialsPath: string;
  /** An aws-cli config file naming the endpoint (mode 0600). */
  configPath: string;
  engine: EngineObjectStore;
  /** What the S3 port's connection guard did (refusals, timeouts). */
  connectionStats: GuardStats;
  /** Keeps the Bucket objects of the API in line with the engine's buckets. */
  buckets: BucketMirror;
}

/** A running server role. */
export interface RunningServer {
  /** `https://127.0.0.1:PORT`: what the kubeconfig names (kubectl sends tokens only over TLS). */
  apiUrl: string;
  /**
   * `http://127.0.0.1:PORT`: the same port in plain HTTP, for clients on loopback (the server's
   * own components, fetch-based tools); `apiUrl` when the server listens on no loopback address.
   */
  httpUrl: string;
  /**
   * The file clients trust (kubeconfig, aws `ca_bundle`, `AWS_CA_BUNDLE`): the cluster CA
   * (`DATA_DIR/tls/ca.crt`), or with a certificate of the user's own its file when it holds its
   * root; undefined when it holds none (a CA the system trusts).
   */
  caCertPath: string | undefined;
  /** The CA, serving certificates and their renewal. */
  tls: ServingTls;
  /** The admin kubeconfig (mode 0600). */
  kubeconfigPath: string;
  adminToken: string;
  /**
   * The store as the API sees it, behind its watch cache: what every in-process part reads and
   * writes through; Secrets and AccessKeys in plaintext (see EncryptingStore).
   */
  store: WatchCache;
  /** The store as opened, below encryption (what the SQLite file holds; its stats). */
  backingStore: Store;
  /** What the API port's connection guard did (refusals, timeouts). */
  apiConnectionStats: GuardStats;
  /** Present when the server runs the object store (`s3Port` given). */
  s3?: RunningObjectStore;
  close(): Promise<void>;
}

/**
 * The composition root of the server role: opens the store, creates the default namespaces,
 * makes or loads the cluster CA and the serving certificates (DATA_DIR/tls), starts the API
 * server, then makes sure the admin token exists and writes the kubeconfig with the URL the
 * server really listens at and the CA (rewritten on every start, since the port may change).
 * The API port speaks TLS, and plain HTTP to loopback clients, told apart by the first byte of
 * each connection; S3 speaks HTTPS unless `s3InsecureHttp`.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Also an existing one: it holds the state, keys and credentials.
  await chmod(dataDir, 0o700);
  const clock = options.clock ?? systemClock;
  const storeSpec = options.store ?? `sqlite:${join(dataDir, 'state.db')}`;
  const backing = await openStore(storeSpec, clock);
  let encryption: Awaited<ReturnType<typeof loadEncryptionConfig>>;
  try {
    encryption = await loadEncryptionConfig(dataDir, {
      ...(options.encryptionProviderConfig !== undefined ? { file: options.encryptionProviderConfig } : {}),
    });
  } catch (err) {
    await backing.close();
    throw err;
  }
  // Everything above reads and writes plaintext; the backing store holds ciphertext.
  const plain = new EncryptingStore(backing, {
    config: encryption.config,
    writeOnly: { [ACCESS_KEY_RESOURCE]: ['spec.secretAccessKey'] },
  });
  // One watch cache for the whole process: the API, the garbage collector, tokens and RBAC all
  // read through it, so each resource has one store watch and each write one parse.
  const store = new WatchCache(plain, { indexes: WATCH_CACHE_INDEXES });
  let api: ApiServer | undefined;
  let s3: (RunningObjectStore & { close(): Promise<void> }) | undefined;
  let identity: Authorization | undefined;
  let audit: AuditLog | undefined;
  let tls: ServingTls | undefined;
  const limitRanger = new LimitRangerAdmission(store);
  const quota = new QuotaAdmission(store, clock);
  try {
    await ensureDefaultNamespaces(store, clock);
    await limitRanger.start();
    await quota.start();
    identity = await startAuthorization(store, { clock, admissions: [limitRanger, quota] });
    tls = await openServingTls(dataDir, options, clock);
    audit = new AuditLog({ ...options.audit, path: options.audit?.path ?? join(dataDir, 'audit.log') });
    if (options.s3Port !== undefined) {
      s3 = await startObjectStore(
        plain,
        dataDir,
        { ...options, s3Port: options.s3Port, storeSpec, backing, tls },
        clock,
      );
    }
    api = new ApiServer({
      tls: tls.pair('apiserver'),
      ...(s3 ? { extensions: storageApiExtensions(s3.engine) } : {}),
      store,
      registry: createRegistry(),
      authenticator: identity.authenticator,
      authorizer: identity.authorizer,
      admission: identity.admission,
      clock,
      audit,
      ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
      services: {
        ...(options.serviceClusterIPRange ? { clusterIPRange: options.serviceClusterIPRange } : {}),
        ...(options.serviceNodePortRange ? { nodePortRange: options.serviceNodePortRange } : {}),
      },
      ...options.api,
    });
    const apiUrl = await api.listen(options.apiPort ?? 6443, options.host ?? '127.0.0.1');
    const running = api;
    const served = tls;
    tls.onChange(() => running.setTls(served.pair('apiserver')));
    const trust = tls.trust;
    const loopbackUrl = api.httpUrl;
    const httpUrl = loopbackUrl ?? apiUrl;
    const admin = await bootstrapAdmin(store, dataDir, {
      serverUrl: apiUrl,
      ...(trust !== undefined ? { caCert: trust.pem } : {}),
      ...(loopbackUrl !== undefined ? { httpUrl: loopbackUrl } : {}),
      clock,
    });
    // The in-process components act as the admin (system:masters) until each gets its own
    // identity. Without `controllers`, only the clusterrole-aggregation and resourcequota
    // controllers run: RBAC's aggregated roles (admin, edit, view) and quota admission (which
    // needs each quota's status) depend on them.
    const manager = await startControllerManager({
      client: new KubeClient({
        server: httpUrl,
        token: admin.token,
        namespace: 'default',
        contextName: 'controller-manager',
        ...(trust !== undefined ? { certificateAuthorityData: trust.pem } : {}),
      }),
      clock,
      ...(options.controllers ? {} : { controllers: ['clusterrole-aggregation', 'resourcequota'] }),
      ...(options.schedulerStrategy ? { scheduler: { strategy: options.schedulerStrategy } } : {}),
      extra: { nodelifecycle: (ctx) => new NodeLifecycleController(ctx, nodeLifecycleOptions(options)) },
    });
    const objectStore = s3;
    const auth = identity;
    const auditLog = audit;
    return {
      apiUrl,
      httpUrl,
      caCertPath: trust?.path,
      tls: served,
      kubeconfigPath: admin.kubeconfigPath,
      adminToken: admin.token,
      store,
      backingStore: backing,
      apiConnectionStats: running.connectionStats,
      ...(objectStore ? { s3: objectStore } : {}),
      close: async () => {
        await manager.close();
        await served.close();
        // The API before the engine: its storage views read the engine.
        await running.close();
        auditLog.close();
        await objectStore?.close();
        await auth.close();
        await limitRanger.close();
        await quota.close();
        await store.close();
      },
    };
  } catch (err) {
    await tls?.close();
    await api?.close();
    audit?.close();
    await s3?.close();
    await identity?.close();
    await limitRanger.close();
    await quota.close();
    await store.close();
    throw err;
  }
}

/**
 * Opens the storage engine on its devices and starts the S3 gateway in front of it, with the
 * admin's access key written for aws-cli. Closing stops the gateway before the engine.
 */
async function startObjectStore(
  store: EncryptingStore,
  dataDir: string,
  options: ServerOptions & { s3Port: number; storeSpec: string; backing: Store; tls: ServingTls },
  clock: Clock,
): Promise<RunningObjectStore & { close(): Promise<void> }> {
  // Only the default device is created: a missing device folder may be an unmounted disk.
  let devices = options.storageDevices;
  if (!devices) {
    devices = [{ id: 'dev0', path: join(dataDir, 'storage', 'dev0') }];
    await mkdir(devices[0]!.path, { recursive: true, mode: 0o700 });
    await chmod(join(dataDir, 'storage'), 0o700);
  }
  if (options.backing instanceof SqliteStore) {
    const reserve = options.backing.stats().reserveBytes;
    devices = reserveForStore(devices, options.storeSpec.slice('sqlite:'.length), reserve);
  }
  const engine = await openObjectStore({
    devices,
    clock,
    ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
    auditIntervalMs: 60_000,
    replicateIntervalMs: 30_000,
  });
  // The gateway alone reads access keys' secrets (SigV4 needs them to check signatures).
  const keys = store.revealing();
  const credentials = new StoreCredentials(keys);
  let gateway: Awaited<ReturnType<typeof startS3Gateway>> | undefined;
  try {
    gateway = await startS3Gateway({
      objectStore: engine,
      credentials,
      port: options.s3Port,
      host: options.host ?? '127.0.0.1',
      clock,
      ...(options.s3Connections !== undefined ? { connections: options.s3Connections } : {}),
      ...(options.s3InsecureHttp === true ? {} : { tls: options.tls.pair('s3') }),
    });
    const serving = gateway;
    if (options.s3InsecureHttp !== true) options.tls.onChange(() => serving.setTls(options.tls.pair('s3')));
    const caBundle = options.s3InsecureHttp === true ? undefined : options.tls.trust?.path;
    await bootstrapS3Admin(keys, dataDir, {
      endpoint: gateway.url,
      ...(caBundle !== undefined ? { caBundle } : {}),
    });
    const buckets = new BucketMirror(engine, store, { clock });
    const running = serving;
    return {
      url: running.url,
      credentialsPath: join(dataDir, 's3-credentials'),
      configPath: join(dataDir, 's3-config'),
      engine,
      connectionStats: running.connectionStats,
      buckets,
      close: async () => {
        await running.close();
        await buckets.close();
        await credentials.close();
        await engine.close();
      },
    };
  } catch (err) {
    // A start that fails after the gateway listens (an access key no configured key opens).
    await gateway?.close();
    await credentials.close();
    await engine.close();
    throw err;
  }
}

function nodeLifecycleOptions(options: ServerOptions): NodeLifecycleOptions {
  return {
    ...(options.nodeMonitorGracePeriodMs !== undefined
      ? { nodeMonitorGracePeriodMs: options.nodeMonitorGracePeriodMs }
      : {}),
    ...(options.podEvictionTimeoutMs !== undefined
      ? { podEvictionTimeoutMs: options.podEvictionTimeoutMs }
      : {}),
  };
}

async function openStore(spec: string, clock: Clock): Promise<Store> {
  // 10,000 revisions of history (kine keeps about 1,000): enough for informers to resume.
  if (spec.startsWith('sqlite:')) {
    return SqliteStore.open(spec.slice('sqlite:'.length), { clock, historyLimit: 10_000 });
  }
  throw new RangeError(`unsupported store "${spec}": use sqlite:PATH`);
}
