import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { QuotaAdmission } from '../api/index.js';
import type { KubeClient } from '../client/index.js';
import type { Clock } from '../common/clock.js';
import type { ServingTls, UserDirectory } from '../identity/index.js';
import { BucketMirror, openObjectStore, type EngineObjectStore } from '../objectstore/index.js';
import {
  bootstrapS3Admin,
  startS3Gateway,
  StoreCredentials,
  type S3GatewayOptions,
} from '../objectstore/s3/index.js';
import type { ConnectionLimits } from '../connections/index.js';
import { SqliteStore, type EncryptingStore, type Store } from '../store/index.js';
import type { RunningObjectStore, ServerOptions } from './server.js';
import { bucketNamespace, s3Quota } from './s3-quota.js';
import { reserveForStore } from './store-reserve.js';

/**
 * Opens the storage engine on its devices (by default one, DATA_DIR/storage/dev0, 0700; only that
 * one is created, since a missing device folder may be an unmounted disk). Devices on the state
 * database's file system keep the store's free-space reserve (`backing`, the store as opened).
 */
export async function openEngine(
  backing: Store,
  dataDir: string,
  options: ServerOptions & { storeSpec: string },
  clock: Clock,
): Promise<EngineObjectStore> {
  let devices = options.storageDevices;
  if (!devices) {
    devices = [{ id: 'dev0', path: join(dataDir, 'storage', 'dev0') }];
    await mkdir(devices[0]!.path, { recursive: true, mode: 0o700 });
    await chmod(join(dataDir, 'storage'), 0o700);
  }
  if (backing instanceof SqliteStore) {
    devices = reserveForStore(
      devices,
      options.storeSpec.slice('sqlite:'.length),
      backing.stats().reserveBytes,
    );
  }
  return openObjectStore({
    devices,
    clock,
    ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
    auditIntervalMs: 60_000,
    replicateIntervalMs: 30_000,
    lifecycleIntervalMs: 60_000,
  });
}

/**
 * Starts the S3 gateway in front of the engine (HTTPS with the cluster CA's `s3` certificate
 * unless `insecureHttp`) and the bucket mirror, and writes the admin's access key for aws-cli.
 * The gateway alone reads access keys' secrets, from the store below the API (SigV4 needs them;
 * the API never shows them), refusing the keys of removed users (`users`); the bucket mirror
 * reaches the API as the gateway's own identity (`client`, `system:stratus:s3-gateway`).
 * Closing stops the gateway before the engine.
 */
export async function startGateway(
  engine: EngineObjectStore,
  store: EncryptingStore,
  options: {
    dataDir: string;
    port: number;
    host: string;
    clock: Clock;
    client: KubeClient;
    users: UserDirectory;
    tls: ServingTls;
    insecureHttp?: boolean;
    connections?: ConnectionLimits;
    /** The region the gateway is in (and aws-cli's config names); default us-east-1. */
    region?: string;
    /** The API's quota admission: CreateBucket and byte writes are charged to it (`s3Quota`). */
    quota?: QuotaAdmission;
    /** Each answered S3 request (the server's metrics). */
    onRequest?: S3GatewayOptions['onRequest'];
  },
): Promise<RunningObjectStore & { close(): Promise<void> }> {
  const keys = store.revealing();
  const credentials = new StoreCredentials(keys, (user) => options.users.exists(user));
  const tls = options.insecureHttp === true ? undefined : options.tls;
  let gateway: Awaited<ReturnType<typeof startS3Gateway>> | undefined;
  let buckets: BucketMirror | undefined;
  try {
    gateway = await startS3Gateway({
      objectStore: engine,
      credentials,
      port: options.port,
      host: options.host,
      clock: options.clock,
      ...(options.region !== undefined ? { region: options.region } : {}),
      ...(options.connections !== undefined ? { connections: options.connections } : {}),
      ...(options.onRequest !== undefined ? { onRequest: options.onRequest } : {}),
      ...(tls ? { tls: tls.pair('s3') } : {}),
      ...(options.quota !== undefined ? { quota: s3Quota(options.quota, engine) } : {}),
    });
    const serving = gateway;
    tls?.onChange(() => serving.setTls(tls.pair('s3')));
    const caBundle = tls?.trust?.path;
    // The admin's key is bootstrap, as the admin's token: written to the store directly.
    await bootstrapS3Admin(keys, options.dataDir, {
      endpoint: serving.url,
      ...(caBundle !== undefined ? { caBundle } : {}),
      ...(options.region !== undefined ? { region: options.region } : {}),
    });
    buckets = new BucketMirror(engine, options.client, { namespaceOf: bucketNamespace });
    const mirror = buckets;
    return {
      url: serving.url,
      credentialsPath: join(options.dataDir, 's3-credentials'),
      configPath: join(options.dataDir, 's3-config'),
      engine,
      connectionStats: serving.connectionStats,
      buckets: mirror,
      close: async () => {
        await serving.close();
        await mirror.close();
        await credentials.close();
        await options.client.close();
        await engine.close();
      },
    };
  } catch (err) {
    // A start that fails after the gateway listens (an access key no configured key opens).
    await gateway?.close();
    await buckets?.close();
    await credentials.close();
    await options.client.close();
    await engine.close();
    throw err;
  }
}
