import { resolve } from 'node:path';
import { startServer, type RunningServer } from './server.js';

/** Where and how `stratus up` runs. */
export interface UpOptions {
  /** Where state lives. Default `./.stratus` (resolved against the working directory). */
  dataDir?: string;
  /** The API port. Default 6443; 0 picks a free one. */
  apiPort?: number;
  /** The address to listen on. Default: the server's (127.0.0.1). */
  host?: string;
  /** The store URL (`sqlite:PATH`, `etcd://…`). Default: the server's (SQLite in dataDir). */
  store?: string;
}

/**
 * A part that joins the one-process cloud after the API server is up: the node agent, the S3
 * gateway, the dashboard. It gets the running server (URL, admin token, store) and returns the
 * lines to print (where it listens) and how to stop it.
 */
export interface UpComponent {
  name: string;
  start(cloud: {
    server: RunningServer;
    dataDir: string;
  }): Promise<{ lines: string[]; close(): Promise<void> }>;
}

/** The parts `stratus up` starts besides the API server. The agent and S3 gateway plug in here. */
export const UP_COMPONENTS: readonly UpComponent[] = [];

/** A running one-machine cloud. */
export interface RunningCloud {
  server: RunningServer;
  dataDir: string;
  /** What to tell the user: where each part listens, and how to use the kubeconfig. */
  lines: string[];
  /** Stops the components in reverse order, then the server. */
  close(): Promise<void>;
}

/**
 * The composition root of `stratus up` (and, with no components, `stratus server`): starts the
 * API server, then each component in order; if one fails, stops what started and rethrows.
 */
export async function startCloud(
  options: UpOptions = {},
  components: readonly UpComponent[] = UP_COMPONENTS,
): Promise<RunningCloud> {
  const dataDir = resolve(options.dataDir ?? '.stratus');
  const server = await startServer({
    dataDir,
    apiPort: options.apiPort ?? 6443,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.store === undefined ? {} : { store: options.store }),
  });
  const started: Array<{ close(): Promise<void> }> = [];
  const lines = [`API server listening on ${server.apiUrl}`, `kubeconfig: ${server.kubeconfigPath}`];
  const close = async (): Promise<void> => {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
    await server.close();
  };
  try {
    for (const component of components) {
      const running = await component.start({ server, dataDir });
      started.push(running);
      lines.push(...running.lines);
    }
  } catch (err) {
    await close();
    throw err;
  }
  lines.push(
    '',
    'Use it with kubectl or stratus:',
    `  export KUBECONFIG=${server.kubeconfigPath}`,
    '  kubectl get all',
    '  stratus apply -f examples/',
  );
  return { server, dataDir, lines, close };
}
