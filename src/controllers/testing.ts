import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../client/index.js';
import { startServer, type RunningServer } from '../cli/server.js';

/** A real server in a temp dir and an admin client over plain HTTP on loopback; for tests. */
export interface ControllerTestCluster {
  server: RunningServer;
  client: KubeClient;
  dataDir: string;
  close(): Promise<void>;
}

/** Starts a server (SQLite in a temp dir, port 0) and a KubeClient for it. */
export async function startControllerTestCluster(): Promise<ControllerTestCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-ctrl-'));
  const server = await startServer({ dataDir, apiPort: 0 });
  const client = new KubeClient({
    server: server.httpUrl,
    token: server.adminToken,
    namespace: 'default',
    contextName: 'test',
  });
  return {
    server,
    client,
    dataDir,
    async close() {
      await client.close();
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Labels a namespace `privileged` for Pod Security admission, as an administrator opens one up:
 * the default `baseline` refuses host ports, which scheduler tests place.
 */
export async function allowPrivilegedPods(client: KubeClient, namespace = 'default'): Promise<void> {
  await client.patch('namespaces', namespace, {
    metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
  });
}

/** Polls `check` every 20 ms until it returns a truthy value, at most `timeoutMs` (default 20 s). */
export async function eventually<T>(
  what: string,
  check: () => T | Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { KUBECTL, kubectlSkipReason, runKubectl } from './kubectl-harness.js';
