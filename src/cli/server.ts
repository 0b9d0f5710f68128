import { hostname } from 'node:os';
import {
  ControllerMetrics,
  createMetricsRegistry,
  registerObjectStateMetrics,
  S3Metrics,
  S3UsageCounter,
  ServerMetrics,
  UsageDb,
} from '../telemetry/index.js';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  apiServerServiceIP,
  ApiServer,
  AuditLog,
  ensureDefaultNamespaces,
  ensureDefaultRuntimeClasses,
  ensureNamespaceDefaults,
  LimitRangerAdmission,
  QuotaAdmission,
  WATCH_CACHE_INDEXES,
  type ApiServerOptions,
} from '../api/index.js';
import { systemClock, type Clock } from '../common/clock.js';
import {
  bootstrapAdmin,
  PodSecurityAdmission,
  ServiceAccountAdmission,
  ServiceAccountTokens,
  startAuthorization,
  type Authorization,
  type ServingTls,
  type UserInfo,
} from '../identity/index.js';
import { createRegistry } from '../resources/index.js';
import {
  storageApiExtensions,
  type BucketMirror,
  type DeviceSpec,
  type EngineObjectStore,
} from '../objectstore/index.js';
import { ACCESS_KEY_RESOURCE } from '../objectstore/s3/index.js';
import {
  EncryptingStore,
  ENCRYPTION_CONFIG_FILE,
  EtcdStore,
  etcdUrlIsTls,
  parseEtcdUrl,
  loadEncryptionConfig,
  SqliteStore,
  WatchCache,
  type Store,
} from '../store/index.js';
import { openEngine, startGateway } from './server-object-store.js';
import { KubeClient } from '../client/index.js';
import type { ConnectionLimits, GuardStats } from '../connections/index.js';
import { openServingTls } from './serving-tls.js';
import {
  CONTROLLERS,
  KubernetesServiceController,
  NodeLifecycleController,
  rootCaPublisher,
  startControllerManager,
  type ApiServerEndpoint,
  HpaController,
  type HpaControllerOptions,
  type ControllerManager,
  type NodeLifecycleOptions,
} from '../controllers/index.js';
import { electComponents } from './server-election.js';
import { startClusterMember, type ClusterOptions } from './server-cluster.js';
import { serverBootstrapExtension } from './server-bootstrap.js';
import type { LeaderElectionTimings } from '../machinery/index.js';

/** Options of the server role; every field but dataDir has a default. */
export interface ServerOptions {
  /** Where state, the kubeconfig and credentials live. */
  dataDir: string;
  /** The API port; default 6443, 0 picks a free one. */
  apiPort?: number;
  /** The address to listen on; default 127.0.0.1. */
  host?: string;
  /**
   * `sqlite:PATH`, or an external etcd: `etcd://host:port,…` (plaintext unless `etcdTls`) or
   * `https://host:port,…` (TLS); default `sqlite:DATA_DIR/state.db`.
   */
  store?: string;
  /**
   * TLS to an external etcd (`--etcd-cafile`, `--etcd-certfile`, `--etcd-keyfile`, as
   * kube-apiserver's): PEM files of the CA that signed the members (default the system's roots)
   * and of this server's client certificate and key (for `--client-cert-auth`). Read at start.
   */
  etcdTls?: { caFile?: string; certFile?: string; keyFile?: string };
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
   * The HorizontalPodAutoscaler controller's settings (`--horizontal-pod-autoscaler-sync-period`
   * and upstream's tolerance and readiness knobs); default kube-controller-manager's (15 s, 10 %).
   */
  hpa?: HpaControllerOptions;
  /** Where Service cluster IPs come from (`--service-cluster-ip-range`); default 127.77.0.0/16. */
  serviceClusterIPRange?: string;
  /** Where node ports come from (`--service-node-port-range`); default 30000-32767. */
  serviceNodePortRange?: string;
  /** Where nodes' pod ranges come from (`--cluster-cidr`, a /24 each); default 10.244.0.0/16. */
  clusterCidr?: string;
  /**
   * Tuning of the API server: its port's connection timeouts and caps (default
   * `API_CONNECTION_LIMITS`), how long a node's agent may take to answer a log request.
   */
  api?: Pick<ApiServerOptions, 'podLogTimeoutMs' | 'connections'>;
  /**
   * How often usage is metered into DATA_DIR/usage.db (`UsageMeter`); default 7 500 ms, half
   * the agents' sampling interval. Tests shorten it.
   */
  usageIntervalMs?: number;
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
  /** The S3 endpoint's region (`--s3-region`): what GetBucketLocation answers; default us-east-1. */
  s3Region?: string;
  /**
   * Run the controllers and the scheduler only on the holder of their Lease
   * (`stratus-controller-manager`, `stratus-scheduler` in kube-system), as kube-controller-manager's
   * `--leader-elect`. Default: on with an etcd store (several servers may share it), off with
   * SQLite (one process owns the file; a restart then need not wait for its old lease).
   */
  leaderElect?: boolean;
  /** Lease timings; default Kubernetes' 15 s lease, 10 s renew deadline, 2 s retry period. */
  leaderElection?: LeaderElectionTimings;
  /**
   * This server's name among the servers (default the host name): its own Lease
   * `kube-system/stratus-server-NAME` says it is alive, and its lease holder identities start with it.
   */
  serverName?: string;
  /**
   * How often this server renews its Lease in kube-system and rechecks the `kubernetes`
   * Endpoints; default 10 s (kube-apiserver's). Tests shorten it.
   */
  endpointReconcileIntervalMs?: number;
  /** Progress worth a line on stderr (leases acquired and lost); default: dropped. */
  onNotice?: (line: string) => void;
  /**
   * Run an etcd member of this server's own and keep the state there (`--cluster-init`, `--join
   * URL --token T`; k3s' embedded etcd with Debian's etcd as a child process). Leader election is
   * then on. A data directory that holds a member restarts it with `{}`.
   */
  cluster?: ClusterOptions;
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
  /**
   * A token for a component of this process (`stratus up`'s agent): known only to this
   * server's authenticator, never stored, valid until the server stops.
   */
  loopbackToken(user: UserInfo): string;
  /** Present when the server runs the object store (`s3Port` given). */
  s3?: RunningObjectStore;
  /** Present when the server runs an etcd member (`cluster`). */
  cluster?: { memberName: string; etcdClientUrl: string; tokenPath: string };
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
  // One registry for the process's control plane: API requests, store commits, S3 requests.
  const registry = createMetricsRegistry();
  // kube-state-metrics' series, on /metrics/objects: they grow with the objects stored.
  const objectRegistry = createMetricsRegistry({ processMetrics: false });
  const serverMetrics = new ServerMetrics(registry);
  const s3Metrics = new S3Metrics(registry);
  const encryptionConfigPath = options.encryptionProviderConfig ?? join(dataDir, ENCRYPTION_CONFIG_FILE);
  if (options.cluster !== undefined && options.store !== undefined)
    throw new RangeError('a server runs its own etcd member or uses --store, not both');
  const member =
    options.cluster === undefined
      ? undefined
      : await startClusterMember(dataDir, {
          ...options.cluster,
          ...(options.host !== undefined ? { host: options.host } : {}),
          ...(options.serverName !== undefined ? { serverName: options.serverName } : {}),
          encryptionConfigPath,
          nowMs: clock.now(),
          ...(options.onNotice !== undefined ? { onNotice: options.onNotice } : {}),
        });
  let backing: Store;
  try {
    backing =
      member === undefined
        ? await openStore(
            storeSpec,
            clock,
            (writes, seconds) => serverMetrics.storeCommit(writes, seconds),
            options.etcdTls,
          )
        : await EtcdStore.open(member.endpoints, { tls: member.tls });
  } catch (err) {
    await member?.close();
    throw err;
  }
  let encryption: Awaited<ReturnType<typeof loadEncryptionConfig>>;
  try {
    encryption = await loadEncryptionConfig(dataDir, {
      ...(options.encryptionProviderConfig !== undefined ? { file: options.encryptionProviderConfig } : {}),
    });
  } catch (err) {
    await backing.close();
    await member?.close();
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
  let usageDb: UsageDb | undefined;
  const s3Usage = new S3UsageCounter();
  let engine: EngineObjectStore | undefined;
  let identity: Authorization | undefined;
  let audit: AuditLog | undefined;
  let tls: ServingTls | undefined;
  const limitRanger = new LimitRangerAdmission(store);
  const quota = new QuotaAdmission(store, clock);
  try {
    await ensureDefaultNamespaces(store, clock);
    await ensureDefaultRuntimeClasses(store, clock);
    const serviceIP = apiServerServiceIP(options.serviceClusterIPRange);
    tls = await openServingTls(dataDir, { ...options, serviceIP }, clock);
    // The CA pods trust (kube-root-ca.crt): the cluster CA, or the root of a certificate of the
    // user's own; none when the certificate's CA is one the system trusts.
    const caPem = tls.trust?.pem ?? '';
    await ensureNamespaceDefaults(store, clock, caPem);
    const serviceAccountTokens = await ServiceAccountTokens.open(dataDir, store, { clock });
    await limitRanger.start();
    await quota.start();
    identity = await startAuthorization(store, {
      clock,
      verifiers: [serviceAccountTokens],
      admissions: [new ServiceAccountAdmission(store), new PodSecurityAdmission(store), limitRanger, quota],
    });
    audit = new AuditLog({ ...options.audit, path: options.audit?.path ?? join(dataDir, 'audit.log') });
    if (options.s3Port !== undefined)
      engine = await openEngine(backing, dataDir, { ...options, storeSpec }, clock);
    usageDb = UsageDb.open(join(dataDir, 'usage.db'));
    const extensions = [
      ...(engine ? storageApiExtensions(engine) : []),
      ...(member !== undefined
        ? [
            serverBootstrapExtension({
              dataDir,
              encryptionConfigPath,
              etcdEndpoints: member.endpoints,
              tls: member.tls,
            }),
          ]
        : []),
    ];
    const elect = options.leaderElect ?? (member !== undefined || !storeSpec.startsWith('sqlite:'));
    api = new ApiServer({
      tls: tls.pair('apiserver'),
      extensions,
      store,
      registry: createRegistry(),
      authenticator: identity.authenticator,
      authorizer: identity.authorizer,
      admission: identity.admission,
      serviceAccountTokens,
      clock,
      audit,
      metrics: { registry, server: serverMetrics, objects: objectRegistry },
      usage: {
        db: usageDb,
        s3: s3Usage,
        leading: !elect,
        ...(options.usageIntervalMs !== undefined ? { intervalMs: options.usageIntervalMs } : {}),
      },
      ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
      services: {
        ...(options.serviceClusterIPRange ? { clusterIPRange: options.serviceClusterIPRange } : {}),
        ...(options.serviceNodePortRange ? { nodePortRange: options.serviceNodePortRange } : {}),
        ...(options.clusterCidr ? { clusterCidr: options.clusterCidr } : {}),
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
    // Each in-process component has its own least-privilege identity, with a loopback token
    // that only this process knows. Without `controllers`, only the ALWAYS controllers run.
    const auth = identity;
    const clientAs = (username: string, contextName: string, groups: string[] = []): KubeClient =>
      new KubeClient({
        server: httpUrl,
        token: auth.authenticator.issueLoopbackToken({ username, groups }),
        namespace: 'default',
        contextName,
        ...(trust !== undefined ? { certificateAuthorityData: trust.pem } : {}),
      });
    const listenHost = options.host ?? '127.0.0.1';
    const apiServer: ApiServerEndpoint = {
      clusterIP: serviceIP,
      // The node proxies run beside this server; a wildcard listen is reached on loopback.
      address: ['0.0.0.0', '::', ''].includes(listenHost) ? '127.0.0.1' : listenHost,
      port: Number(new URL(apiUrl).port),
    };
    const controllerMetrics = new ControllerMetrics(registry);
    const parts = { clock, clientAs, caCert: caPem, apiServer, metrics: controllerMetrics };
    // What runs with the controllers: the usage meter's metering of pods and storage, and
    // kube-state-metrics' series from the controller manager's caches (no watch of their own);
    // elected, on the lease holder only, so that neither is counted twice.
    const meter = running.meter;
    let kcm: ControllerManager | undefined;
    if (options.controllers)
      registerObjectStateMetrics(objectRegistry, {
        list: (resource) => kcm?.informers.for(resource).list() ?? [],
      });
    const managers: Array<{ close(): Promise<void> }> = elect
      ? [
          ...(await startComponents(options, { ...parts, which: { apiserver: true } })),
          electComponents({
            ...options,
            clock,
            clientAs,
            start: async (which) => {
              const started = await startComponents(options, { ...parts, which });
              if (which.controllers !== true) return started;
              kcm = started[0];
              meter?.lead(true);
              const following = {
                close: () => {
                  kcm = undefined;
                  meter?.lead(false);
                  return Promise.resolve();
                },
              };
              return [following, ...started];
            },
          }),
        ]
      : await startComponents(options, {
          ...parts,
          which: { apiserver: true, controllers: true, scheduler: true },
        });
    if (!elect) kcm = managers[0] as ControllerManager | undefined;
    if (engine !== undefined && options.s3Port !== undefined) {
      s3 = await startGateway(engine, plain, {
        dataDir,
        port: options.s3Port,
        host: options.host ?? '127.0.0.1',
        clock,
        client: clientAs('system:stratus:s3-gateway', 's3-gateway'),
        users: auth.users,
        quota,
        tls,
        ...(options.s3InsecureHttp === true ? { insecureHttp: true } : {}),
        ...(options.s3Region !== undefined ? { region: options.s3Region } : {}),
        ...(options.s3Connections !== undefined ? { connections: options.s3Connections } : {}),
        onRequest: (r) => {
          s3Metrics.record(r);
          s3Usage.record(r);
        },
      });
    }
    const objectStore = s3;
    const auditLog = audit;
    const usage = usageDb;
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
      loopbackToken: (user) => auth.authenticator.issueLoopbackToken(user),
      ...(objectStore ? { s3: objectStore } : {}),
      ...(member !== undefined
        ? {
            cluster: {
              memberName: member.name,
              etcdClientUrl: member.member.clientUrl,
              tokenPath: member.tokenPath,
            },
          }
        : {}),
      close: async () => {
        for (const m of managers) await m.close();
        await served.close();
        // The API before the engine: its storage views read the engine.
        await running.close();
        await usage.close();
        auditLog.close();
        await objectStore?.close();
        await auth.close();
        await limitRanger.close();
        await quota.close();
        await store.close();
        await member?.close();
      },
    };
  } catch (err) {
    await tls?.close();
    await api?.close();
    await usageDb?.close();
    audit?.close();
    await s3?.close();
    if (s3 === undefined) await engine?.close();
    await identity?.close();
    await limitRanger.close();
    await quota.close();
    await store.close();
    await member?.close();
    throw err;
  }
}

/** Controllers every server runs, `controllers` or not: RBAC's aggregated roles and what pods need. */
const ALWAYS = ['clusterrole-aggregation', 'serviceaccount', 'root-ca-cert-publisher'];

/** Which components a call of `startComponents` starts; absent flags are off. */
interface ComponentSet {
  /** The API server's own `kubernetes` Service controller: every server runs it. */
  apiserver?: boolean;
  /** The controllers and the resourcequota controller (on the lease holder when elected). */
  controllers?: boolean;
  /** The scheduler (on the lease holder when elected). */
  scheduler?: boolean;
}

/**
 * Starts the controllers as `system:kube-controller-manager`; in managers of their own, the
 * resourcequota controller as `system:controller:resourcequota-controller` (always), the
 * scheduler as `system:kube-scheduler` (kube-scheduler is its own process in Kubernetes) and the
 * `kubernetes` Service controller as `system:apiserver`. With `controllers` off only the ALWAYS
 * ones, the resourcequota controller and the `kubernetes` Service controller run. The
 * controller manager, when started, comes first in the result.
 */
async function startComponents(
  options: ServerOptions,
  parts: {
    clock: Clock;
    clientAs: (username: string, context: string, groups?: string[]) => KubeClient;
    caCert: string;
    apiServer: ApiServerEndpoint;
    metrics: ControllerMetrics;
    which: ComponentSet;
  },
): Promise<ControllerManager[]> {
  const { clock, clientAs, caCert, metrics, which } = parts;
  const started: ControllerManager[] = [];
  const start = async (manager: Parameters<typeof startControllerManager>[0]): Promise<void> => {
    started.push(await startControllerManager({ clock, ...manager }));
  };
  try {
    if (which.controllers === true) {
      const controllers = [
        ...Object.keys(CONTROLLERS).filter((n) => n !== 'scheduler' && n !== 'resourcequota'),
        'root-ca-cert-publisher',
      ];
      await start({
        client: clientAs('system:kube-controller-manager', 'controller-manager'),
        controllers: options.controllers ? controllers : ALWAYS,
        workQueueMetrics: metrics,
        extra: {
          nodelifecycle: (ctx) => new NodeLifecycleController(ctx, nodeLifecycleOptions(options)),
          'root-ca-cert-publisher': (ctx) => rootCaPublisher(ctx, caCert),
          horizontalpodautoscaler: (ctx) => new HpaController(ctx, options.hpa ?? {}),
        },
      });
      // Always, as its own user (kube-controller-manager's --use-service-account-credentials):
      // quota admission charges against each quota's status, and counting may list any kind.
      await start({
        client: clientAs('system:controller:resourcequota-controller', 'resourcequota-controller'),
        controllers: ['resourcequota'],
      });
    }
    if (which.apiserver === true) {
      // As the API server's own loopback client does in kube-apiserver.
      await start({
        client: clientAs('system:apiserver', 'apiserver', ['system:masters']),
        controllers: ['kubernetes-service'],
        extra: {
          'kubernetes-service': (ctx) =>
            new KubernetesServiceController(ctx, parts.apiServer, {
              identity: options.serverName ?? hostname().toLowerCase(),
              ...(options.endpointReconcileIntervalMs === undefined
                ? {}
                : { renewIntervalMs: options.endpointReconcileIntervalMs }),
            }),
        },
      });
    }
    if (which.scheduler === true && options.controllers) {
      await start({
        client: clientAs('system:kube-scheduler', 'scheduler'),
        controllers: ['scheduler'],
        scheduler: {
          ...(options.schedulerStrategy ? { strategy: options.schedulerStrategy } : {}),
          onAttempt: metrics.scheduleAttempt,
        },
      });
    }
  } catch (err) {
    for (const m of started) await m.close();
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

async function openStore(
  spec: string,
  clock: Clock,
  onCommit: (writes: number, seconds: number) => void,
  etcdTls: ServerOptions['etcdTls'],
): Promise<Store> {
  // 10,000 revisions of history (kine keeps about 1,000): enough for informers to resume.
  if (spec.startsWith('sqlite:')) {
    return SqliteStore.open(spec.slice('sqlite:'.length), { clock, historyLimit: 10_000, onCommit });
  }
  if (etcdTls !== undefined && spec.startsWith('sqlite:'))
    throw new RangeError('--etcd-cafile, --etcd-certfile and --etcd-keyfile go with an etcd --store');
  if (/^(etcd|https?):\/\//.test(spec)) {
    const addresses = parseEtcdUrl(spec);
    if (etcdTls === undefined && !etcdUrlIsTls(spec)) return EtcdStore.open(addresses);
    const read = (file: string | undefined): Promise<string | undefined> =>
      file === undefined ? Promise.resolve(undefined) : readFile(file, 'utf8');
    const [ca, cert, key] = await Promise.all([
      read(etcdTls?.caFile),
      read(etcdTls?.certFile),
      read(etcdTls?.keyFile),
    ]);
    return EtcdStore.open(addresses, {
      tls: {
        ...(ca !== undefined ? { ca } : {}),
        ...(cert !== undefined ? { cert } : {}),
        ...(key !== undefined ? { key } : {}),
      },
    });
  }
  throw new RangeError(
    `unsupported store "${spec}": use sqlite:PATH, etcd://host:port,… or https://host:port,…`,
  );
}
