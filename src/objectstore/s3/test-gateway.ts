import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/index.js';
import { openObjectStore, type EngineObjectStore, type OpenObjectStoreOptions } from '../index.js';
import { StoreCredentials, createAccessKey, type AccessKey } from './credentials.js';
import { startS3Gateway } from './gateway.js';

/** A gateway over a real engine and a real SqliteStore in a temp dir, for tests and benchmarks. */
export interface TestGateway {
  url: string;
  /** The CA (PEM) an https `url` is verified with; undefined for plain HTTP. */
  ca?: string;
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
  options: {
    clock?: Clock;
    baseDomains?: string[];
    idleTimeoutMs?: number;
    region?: string;
    /** Options of the engine (its own clock, lifecycle day…); the gateway keeps `clock`. */
    objectStore?: Partial<OpenObjectStoreOptions>;
  } = {},
): Promise<TestGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-s3-'));
  const store = await SqliteStore.open(join(dir, 'store.db'));
  const objectStore = await openObjectStore({
    devices: [{ path: join(dir, 'dev0') }],
    partPower: 6,
    ...options.objectStore,
  });
  const credentials = new StoreCredentials(store);
  const gateway = await startS3Gateway({
    objectStore,
    credentials,
    port: 0,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.baseDomains === undefined ? {} : { baseDomains: options.baseDomains }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    ...(options.region === undefined ? {} : { region: options.region }),
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

/**
 * An AWS SDK client with default settings except endpoint, region, credentials, path style and,
 * for an https endpoint, the CA it verifies the certificate with: the JS SDK reads neither
 * `AWS_CA_BUNDLE` nor `ca_bundle`, its request handler takes the CA.
 */
export function sdkClient(
  endpoint: string,
  key: { accessKeyId: string; secretAccessKey: string },
  options: { ca?: string | undefined } = {},
): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    ...(options.ca !== undefined
      ? { requestHandler: { httpsAgent: new Agent({ ca: options.ca, keepAlive: true }) } }
      : {}),
  });
}
