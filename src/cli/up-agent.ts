import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../client/index.js';
import { hashToken, nodeUser, TOKEN_NAMESPACE, tokenSecretName } from '../identity/index.js';
import type { Store } from '../store/index.js';
import type { UpComponent } from './up.js';

/**
 * Earlier versions kept a never-expiring node token in DATA_DIR/agent/token; the agent now uses
 * a loopback token, so that one is revoked and its file removed.
 */
async function retireStoredToken(store: Store, dir: string): Promise<void> {
  const file = join(dir, 'token');
  if (!existsSync(file)) return;
  const name = tokenSecretName(hashToken(readFileSync(file, 'utf8').trim()));
  await store.delete('secrets', TOKEN_NAMESPACE, name).catch(() => undefined);
  rmSync(file, { force: true });
}

/**
 * The node agent as a part of `stratus up`: one node named after the host, data under
 * DATA_DIR/agent, talking to the server over its plain-HTTP loopback URL as
 * `system:node:<host>` (a loopback token only this process knows, so the Node authorizer and
 * NodeRestriction confine it as any node). On shutdown it stops the pods' processes (`stratus
 * up` is one machine going down); the next `stratus up` finds the pods still bound to the node
 * and starts them again.
 */
export const agentComponent: UpComponent = {
  name: 'agent',
  async start({ server, dataDir }) {
    const { Agent } = await import('../agent/index.js');
    const dir = join(dataDir, 'agent');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await retireStoredToken(server.store, dir);
    const nodeName = hostname().toLowerCase();
    const client = new KubeClient({
      server: server.httpUrl,
      token: server.loopbackToken(nodeUser(nodeName)),
      namespace: 'default',
      contextName: 'agent',
    });
    try {
      const agent = await Agent.start({
        client,
        dataDir: dir,
        nodeName,
        onError: (err) => process.stderr.write(`agent: ${(err as Error).message}\n`),
      });
      return {
        lines: [
          `Node ${agent.nodeName} ready (runtime: process; logs endpoint 127.0.0.1:${agent.agentPort})`,
        ],
        close: async () => {
          await agent.stopAllPods();
          await agent.close();
          await client.close();
        },
      };
    } catch (err) {
      await client.close();
      throw err;
    }
  },
};
