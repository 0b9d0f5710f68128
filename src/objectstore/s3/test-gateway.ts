import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/index.js';
import { openObjectStore, type EngineObjectStore } from '../index.js';
import { StoreCredentials, createAccessKey, type AccessKey } from './credentials.js';
import { startS3Gateway } from './gateway.js';

/** A gateway over a real engine and a real SqliteStore in a temp dir, for tests and benchmarks. */
export interface TestGateway {
  url: string;
  dir: string;
  store: Store;
  objectStore: EngineObjectStore;
  /** The key pair the tests use (`alice` here; the admin's in `stratus up`'s). */
  key: AccessKey;
  createUser(user: string): Promise<AccessKey>;
  close(): Promise<void>;
}

/**
 * Starts a gateway on 127.0.0.1 port 0 with one storage device, for tests and benchmarks; `close`
 * stops everything and removes the temp dir.
 */
export async function startTestGateway(
  options: { clock?: Clock; baseDomains?: string[]; idleTimeoutMs?: number } = {},
): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-s3-'));
  const store = await SqliteStore.open(join(dir, 'store.db'));
  const objectStore = await openObjectStore({ devices: [{ path: join(dir, 'dev0') }], partPower: 6 });
  const credentials = new StoreCredentials(store);
  const gateway = await startS3Gateway({
    objectStore,
    credentials,
    port: 0,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.baseDomains === undefined ? {} : { baseDomains: options.baseDomains }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
  });
  const key = await createAccessKey(store, 'alice');
  return {
    url: gateway.url,
    dir,
    store,
    objectStore,
    key,
    createUser: (user) => createAccessKey(store, user),
    close: async () => {
      await gateway.close();
      await credentials.close();
      await objectStore.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
