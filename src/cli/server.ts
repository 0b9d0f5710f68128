import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ApiServer,
  ensureDefaultNamespaces,
  WATCH_CACHE_INDEXES,
  type ApiServerOptions,
} from '../api/index.js';
import { systemClock, type Clock } from '../common/clock.js';
import {
  bootstrapAdmin,
  ensureServingCert,
  startAuthorization,
  type Authorization,
} from '../identity/index.js';
import { createRegistry } from '../resources/index.js';
import {
  BucketMirror,
  openObjectStore,
  storageApiExtensions,
  type DeviceSpec,
  type EngineObjectStore,
} from '../objectstore/index.js';
import { bootstrapS3Admin, startS3Gateway, StoreCredentials } from '../objectstore/s3/index.js';
import { SqliteStore, WatchCache, type Store } from '../store/index.js';
import { KubeClient } from '../client/index.js';
import type { ConnectionLimits, GuardStats } from '../connections/index.js';
import { reserveForStore } from './store-reserve.js';
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
  /**
   * Tuning of the API server: its port's connection timeouts and caps (default
   * `API_CONNECTION_LIMITS`), how long a node's agent may take to answer a log request.
   */
  api?: Pick<ApiServerOptions, 'podLogTimeoutMs' | 'connections'>;
  /** The S3 port's connection timeouts and caps; default `S3_CONNECTION_LIMITS`. */
  s3Connections?: ConnectionLimits;
}

/** The object store part of a running server. */
export interface RunningObjectStore {
  /** `http://127.0.0.1:PORT`, the S3 endpoint. */
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
  /** `http://127.0.0.1:PORT`: the same port in plain HTTP, for fetch-based clients on loopback. */
  httpUrl: string;
  /** The self-signed serving certificate (PEM file) clients trust as the cluster's CA. */
  caCertPath: string;
  /** The admin kubeconfig (mode 0600). */
  kubeconfigPath: string;
  adminToken: string;
  /** The store behind its watch cache: what every in-process part reads and writes through. */
  store: WatchCache;
  /** The store itself (its statistics show which reads reach it). */
  backend: Store;
  /** What the API port's connection guard did (refusals, timeouts). */
  apiConnectionStats: GuardStats;
  /** Present when the server runs the object store (`s3Port` given). */
  s3?: RunningObjectStore;
  close(): Promise<void>;
}

/**
 * The composition root of the server role: opens the store, creates the default namespaces,
 * starts the API server, then makes sure the admin token exists and writes the kubeconfig with
 * the URL the server really listens at (rewritten on every start, since the port may change).
 * The port speaks TLS (a self-signed certificate under DATA_DIR/tls, named in the kubeconfig)
 * and plain HTTP, told apart by the first byte of each connection.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Also an existing one: it holds the state, keys and credentials.
  await chmod(dataDir, 0o700);
  const clock = options.clock ?? systemClock;
  const storeSpec = options.store ?? `sqlite:${join(dataDir, 'state.db')}`;
  const backend = await openStore(storeSpec, clock);
  // One watch cache for the whole process: the API, the garbage collector, tokens and RBAC all
  // read through it, so each resource has one store watch and each write one parse.
  const store = new WatchCache(backend, { indexes: WATCH_CACHE_INDEXES });
  let api: ApiServer | undefined;
  let s3: (RunningObjectStore & { close(): Promise<void> }) | undefined;
  let identity: Authorization | undefined;
  try {
    await ensureDefaultNamespaces(store, clock);
    identity = await startAuthorization(store, { clock });
    const tls = await ensureServingCert(dataDir, { now: clock.now() });
    if (options.s3Port !== undefined) {
      s3 = await startObjectStore(store, dataDir, { ...options, s3Port: options.s3Port, storeSpec }, clock);
    }
    api = new ApiServer({
      tls,
      ...(s3 ? { extensions: storageApiExtensions(s3.engine) } : {}),
      store,
      registry: createRegistry(),
      authenticator: identity.authenticator,
      authorizer: identity.authorizer,
      admission: identity.admission,
      clock,
      ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
      ...options.api,
    });
    const apiUrl = await api.listen(options.apiPort ?? 6443, options.host ?? '127.0.0.1');
    const httpUrl = api.httpUrl;
    const admin = await bootstrapAdmin(store, dataDir, {
      serverUrl: apiUrl,
      caCert: tls.cert,
      httpUrl,
      clock,
    });
    // The in-process components act as the admin (system:masters) until each gets its own
    // identity. Without `controllers`, only the clusterrole-aggregation controller runs: RBAC's
    // aggregated roles (admin, edit, view) need it.
    const manager = await startControllerManager({
      client: new KubeClient({
        server: httpUrl,
        token: admin.token,
        namespace: 'default',
        contextName: 'controller-manager',
      }),
      clock,
      ...(options.controllers ? {} : { controllers: ['clusterrole-aggregation'] }),
      ...(options.schedulerStrategy ? { scheduler: { strategy: options.schedulerStrategy } } : {}),
      extra: { nodelifecycle: (ctx) => new NodeLifecycleController(ctx, nodeLifecycleOptions(options)) },
    });
    const running = api;
    const objectStore = s3;
    const auth = identity;
    return {
      apiUrl,
      httpUrl,
      caCertPath: tls.certPath,
      kubeconfigPath: admin.kubeconfigPath,
      adminToken: admin.token,
      store,
      backend,
      apiConnectionStats: running.connectionStats,
      ...(objectStore ? { s3: objectStore } : {}),
      close: async () => {
        await manager.close();
        // The API before the engine: its storage views read the engine.
        await running.close();
        await objectStore?.close();
        await auth.close();
        await store.close();
      },
    };
  } catch (err) {
    await api?.close();
    await s3?.close();
    await identity?.close();
    await store.close();
    throw err;
  }
}

/**
 * Opens the storage engine on its devices and starts the S3 gateway in front of it, with the
 * admin's access key written for aws-cli. Closing stops the gateway before the engine.
 */
async function startObjectStore(
  store: WatchCache,
  dataDir: string,
  options: ServerOptions & { s3Port: number; storeSpec: string },
  clock: Clock,
): Promise<RunningObjectStore & { close(): Promise<void> }> {
  // Only the default device is created: a missing device folder may be an unmounted disk.
  let devices = options.storageDevices;
  if (!devices) {
    devices = [{ id: 'dev0', path: join(dataDir, 'storage', 'dev0') }];
    await mkdir(devices[0]!.path, { recursive: true, mode: 0o700 });
    await chmod(join(dataDir, 'storage'), 0o700);
  }
  if (store.backend instanceof SqliteStore) {
    devices = reserveForStore(
      devices,
      options.storeSpec.slice('sqlite:'.length),
      store.backend.stats().reserveBytes,
    );
  }
  const engine = await openObjectStore({
    devices,
    clock,
    ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
    auditIntervalMs: 60_000,
    replicateIntervalMs: 30_000,
  });
  const credentials = new StoreCredentials(store);
  try {
    const gateway = await startS3Gateway({
      objectStore: engine,
      credentials,
      port: options.s3Port,
      host: options.host ?? '127.0.0.1',
      clock,
      ...(options.s3Connections !== undefined ? { connections: options.s3Connections } : {}),
    });
    await bootstrapS3Admin(store, dataDir, gateway.url);
    const buckets = new BucketMirror(engine, store, { clock });
    return {
      url: gateway.url,
      credentialsPath: join(dataDir, 's3-credentials'),
      configPath: join(dataDir, 's3-config'),
      engine,
      connectionStats: gateway.connectionStats,
      buckets,
      close: async () => {
        await gateway.close();
        await buckets.close();
        await credentials.close();
        await engine.close();
      },
    };
  } catch (err) {
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
