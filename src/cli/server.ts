import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ApiServer,
  ensureDefaultNamespaces,
  type ApiServerOptions,
  ensureDefaultRuntimeClasses,
  ensureNamespaceDefaults,
} from '../api/index.js';
import { systemClock, type Clock } from '../common/clock.js';
import {
  bootstrapAdmin,
  ensureServingCert,
  PodSecurityAdmission,
  ServiceAccountAdmission,
  ServiceAccountTokens,
  startAuthorization,
  type Authorization,
  type UserInfo,
} from '../identity/index.js';
import { createRegistry } from '../resources/index.js';
import {
  storageApiExtensions,
  type BucketMirror,
  type DeviceSpec,
  type EngineObjectStore,
} from '../objectstore/index.js';
import { SqliteStore, type Store } from '../store/index.js';
import { openEngine, startGateway } from './server-object-store.js';
import { KubeClient } from '../client/index.js';
import type { ConnectionLimits, GuardStats } from '../connections/index.js';
import {
  CONTROLLERS,
  NodeLifecycleController,
  rootCaPublisher,
  startControllerManager,
  type ControllerManager,
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
  store: Store;
  /** What the API port's connection guard did (refusals, timeouts). */
  apiConnectionStats: GuardStats;
  /**
   * A token for a component of this process (`stratus up`'s agent): known only to this
   * server's authenticator, never stored, valid until the server stops.
   */
  loopbackToken(user: UserInfo): string;
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
  const store = await openStore(storeSpec, clock);
  let api: ApiServer | undefined;
  let s3: (RunningObjectStore & { close(): Promise<void> }) | undefined;
  let engine: EngineObjectStore | undefined;
  let identity: Authorization | undefined;
  try {
    await ensureDefaultNamespaces(store, clock);
    await ensureDefaultRuntimeClasses(store, clock);
    const tls = await ensureServingCert(dataDir, { now: clock.now() });
    await ensureNamespaceDefaults(store, clock, tls.cert);
    const serviceAccountTokens = await ServiceAccountTokens.open(dataDir, store, { clock });
    identity = await startAuthorization(store, {
      clock,
      verifiers: [serviceAccountTokens],
      admissions: [new ServiceAccountAdmission(store), new PodSecurityAdmission(store)],
    });
    if (options.s3Port !== undefined)
      engine = await openEngine(store, dataDir, { ...options, storeSpec }, clock);
    api = new ApiServer({
      tls,
      ...(engine ? { extensions: storageApiExtensions(engine) } : {}),
      store,
      registry: createRegistry(),
      authenticator: identity.authenticator,
      authorizer: identity.authorizer,
      admission: identity.admission,
      serviceAccountTokens,
      clock,
      ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
      services: {
        ...(options.serviceClusterIPRange ? { clusterIPRange: options.serviceClusterIPRange } : {}),
        ...(options.serviceNodePortRange ? { nodePortRange: options.serviceNodePortRange } : {}),
      },
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
    // Each in-process component has its own least-privilege identity, with a loopback token
    // that only this process knows. Without `controllers`, only the clusterrole-aggregation
    // controller runs: RBAC's aggregated roles (admin, edit, view) need it.
    const auth = identity;
    const clientAs = (username: string, contextName: string): KubeClient =>
      new KubeClient({
        server: httpUrl,
        token: auth.authenticator.issueLoopbackToken({ username, groups: [] }),
        namespace: 'default',
        contextName,
      });
    const managers = await startComponents(options, clock, clientAs, tls.cert);
    if (engine !== undefined && options.s3Port !== undefined) {
      s3 = await startGateway(engine, store, {
        dataDir,
        port: options.s3Port,
        host: options.host ?? '127.0.0.1',
        clock,
        client: clientAs('system:stratus:s3-gateway', 's3-gateway'),
        users: auth.users,
        ...(options.s3Connections !== undefined ? { connections: options.s3Connections } : {}),
      });
    }
    const running = api;
    const objectStore = s3;
    return {
      apiUrl,
      httpUrl,
      caCertPath: tls.certPath,
      kubeconfigPath: admin.kubeconfigPath,
      adminToken: admin.token,
      store,
      apiConnectionStats: running.connectionStats,
      loopbackToken: (user) => auth.authenticator.issueLoopbackToken(user),
      ...(objectStore ? { s3: objectStore } : {}),
      close: async () => {
        for (const m of managers) await m.close();
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
    if (s3 === undefined) await engine?.close();
    await identity?.close();
    await store.close();
    throw err;
  }
}

/** Controllers every server runs, `controllers` or not: RBAC's aggregated roles and what pods need. */
const ALWAYS = ['clusterrole-aggregation', 'serviceaccount', 'root-ca-cert-publisher'];

/**
 * Starts the controllers as `system:kube-controller-manager` and, in a manager of its own, the
 * scheduler as `system:kube-scheduler` (kube-scheduler is its own process in Kubernetes). With
 * `controllers` off only the ALWAYS ones run.
 */
async function startComponents(
  options: ServerOptions,
  clock: Clock,
  clientAs: (username: string, context: string) => KubeClient,
  caCert: string,
): Promise<ControllerManager[]> {
  const kcm = clientAs('system:kube-controller-manager', 'controller-manager');
  const started: ControllerManager[] = [];
  const closeAll = async (): Promise<void> => {
    for (const m of started) await m.close();
  };
  try {
    const controllers = [
      ...Object.keys(CONTROLLERS).filter((n) => n !== 'scheduler'),
      'root-ca-cert-publisher',
    ];
    started.push(
      await startControllerManager({
        client: kcm,
        clock,
        controllers: options.controllers ? controllers : ALWAYS,
        extra: {
          nodelifecycle: (ctx) => new NodeLifecycleController(ctx, nodeLifecycleOptions(options)),
          'root-ca-cert-publisher': (ctx) => rootCaPublisher(ctx, caCert),
        },
      }),
    );
    if (options.controllers) {
      const scheduler = clientAs('system:kube-scheduler', 'scheduler');
      started.push(
        await startControllerManager({
          client: scheduler,
          clock,
          controllers: ['scheduler'],
          ...(options.schedulerStrategy ? { scheduler: { strategy: options.schedulerStrategy } } : {}),
        }),
      );
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  return started;
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
