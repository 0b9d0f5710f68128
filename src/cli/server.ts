import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ApiServer, ensureDefaultNamespaces } from '../api/index.js';
import { systemClock, type Clock } from '../common/clock.js';
import { bootstrapAdmin, ensureServingCert, TokenAuthenticator } from '../identity/index.js';
import { createRegistry } from '../resources/index.js';
import { SqliteStore, type Store } from '../store/index.js';

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
  const clock = options.clock ?? systemClock;
  const store = await openStore(options.store ?? `sqlite:${join(dataDir, 'state.db')}`, clock);
  let api: ApiServer | undefined;
  try {
    await ensureDefaultNamespaces(store, clock);
    const tls = await ensureServingCert(dataDir, { now: clock.now() });
    api = new ApiServer({
      tls,
      store,
      registry: createRegistry(),
      authenticator: new TokenAuthenticator(store, { clock }),
      clock,
      ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
    });
    const apiUrl = await api.listen(options.apiPort ?? 6443, options.host ?? '127.0.0.1');
    const httpUrl = api.httpUrl;
    const admin = await bootstrapAdmin(store, dataDir, {
      serverUrl: apiUrl,
      caCert: tls.cert,
      httpUrl,
      clock,
    });
    const running = api;
    return {
      apiUrl,
      httpUrl,
      caCertPath: tls.certPath,
      kubeconfigPath: admin.kubeconfigPath,
      adminToken: admin.token,
      store,
      close: async () => {
        await running.close();
        await store.close();
      },
    };
  } catch (err) {
    await api?.close();
    await store.close();
    throw err;
  }
}

async function openStore(spec: string, clock: Clock): Promise<Store> {
  if (spec.startsWith('sqlite:')) return SqliteStore.open(spec.slice('sqlite:'.length), { clock });
  throw new RangeError(`unsupported store "${spec}": use sqlite:PATH`);
}
