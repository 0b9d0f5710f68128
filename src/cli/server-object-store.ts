import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeClient } from '../client/index.js';
import type { Clock } from '../common/clock.js';
import type { UserDirectory } from '../identity/index.js';
import { BucketMirror, openObjectStore, type EngineObjectStore } from '../objectstore/index.js';
import { ApiCredentials, bootstrapS3Admin, startS3Gateway } from '../objectstore/s3/index.js';
import type { ConnectionLimits } from '../connections/index.js';
import { SqliteStore, type Store } from '../store/index.js';
import type { RunningObjectStore, ServerOptions } from './server.js';
import { reserveForStore } from './store-reserve.js';

/**
 * Opens the storage engine on its devices (by default one, DATA_DIR/storage/dev0, 0700; only that
 * one is created, since a missing device folder may be an unmounted disk). Devices on the state
 * database's file system keep the store's free-space reserve.
 */
export async function openEngine(
  store: Store,
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
  if (store instanceof SqliteStore) {
    devices = reserveForStore(devices, options.storeSpec.slice('sqlite:'.length), store.stats().reserveBytes);
  }
  return openObjectStore({
    devices,
    clock,
    ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
    auditIntervalMs: 60_000,
    replicateIntervalMs: 30_000,
  });
}

/**
 * Starts the S3 gateway in front of the engine and the bucket mirror, both reaching the API as
 * the gateway's own identity (`client`), with the access keys of removed users refused (`users`),
 * and writes the admin's access key for aws-cli. Closing stops the gateway before the engine.
 */
export async function startGateway(
  engine: EngineObjectStore,
  store: Store,
  options: {
    dataDir: string;
    port: number;
    host: string;
    clock: Clock;
    client: KubeClient;
    users: UserDirectory;
    connections?: ConnectionLimits;
  },
): Promise<RunningObjectStore & { close(): Promise<void> }> {
  const credentials = new ApiCredentials(options.client, (user) => options.users.exists(user));
  let buckets: BucketMirror | undefined;
  try {
    const gateway = await startS3Gateway({
      objectStore: engine,
      credentials,
      port: options.port,
      host: options.host,
      clock: options.clock,
      ...(options.connections !== undefined ? { connections: options.connections } : {}),
    });
    // The admin's key is bootstrap, as the admin's token: written to the store directly.
    await bootstrapS3Admin(store, options.dataDir, gateway.url);
    buckets = new BucketMirror(engine, options.client);
    const mirror = buckets;
    return {
      url: gateway.url,
      credentialsPath: join(options.dataDir, 's3-credentials'),
      configPath: join(options.dataDir, 's3-config'),
      engine,
      connectionStats: gateway.connectionStats,
      buckets: mirror,
      close: async () => {
        await gateway.close();
        await mirror.close();
        await credentials.close();
        await options.client.close();
        await engine.close();
      },
    };
  } catch (err) {
    await buckets?.close();
    await credentials.close();
    await options.client.close();
    await engine.close();
    throw err;
  }
}
