import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../client/index.js';
import type { Store } from '../store/index.js';
import { componentToken } from './component-token.js';
import type { UpComponent } from './up.js';

/**
 * The node token `stratus up` gives its agent (`system:node:<name>` in `system:nodes`), kept in
 * DATA_DIR/agent/token (mode 0600) and reused while the store still knows it.
 */
async function nodeToken(store: Store, dir: string, node: string): Promise<string> {
  const token = await componentToken(store, join(dir, 'token'), {
    username: `system:node:${node}`,
    groups: ['system:nodes'],
    description: `node agent of ${node}`,
  });
  return token;
}

/** The agent's `serviceProxy` option for `--service-proxy node|haproxy|none` (default node). */
export function serviceProxyOption(flag: 'node' | 'haproxy' | 'none' | undefined): {
  serviceProxy?: { l7: 'node' | 'haproxy' };
} {
  return flag === 'none' ? {} : { serviceProxy: { l7: flag ?? 'node' } };
}

/**
 * The node agent as a part of `stratus up`: one node named after the host, data under
 * DATA_DIR/agent, talking to the server over its plain-HTTP loopback URL with a node token.
 * On shutdown it stops the pods' processes (`stratus up` is one machine going down); the next
 * `stratus up` finds the pods still bound to the node and starts them again.
 */
export const agentComponent: UpComponent = {
  name: 'agent',
  async start({ server, dataDir, options }) {
    const { Agent } = await import('../agent/index.js');
    const dir = join(dataDir, 'agent');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const nodeName = hostname().toLowerCase();
    const token = await nodeToken(server.store, dir, nodeName);
    const client = new KubeClient({
      server: server.httpUrl,
      token,
      namespace: 'default',
      contextName: 'agent',
    });
    try {
      const agent = await Agent.start({
        client,
        dataDir: dir,
        nodeName,
        ...serviceProxyOption(options.serviceProxy),
        onError: (err) => process.stderr.write(`agent: ${(err as Error).message}\n`),
      });
      return {
        lines: [
          `Node ${agent.nodeName} ready (runtime: process; logs endpoint 127.0.0.1:${agent.agentPort})`,
          agent.serviceProxy === undefined
            ? 'Service proxy: off'
            : `Service proxy: ${agent.serviceProxy.dataPlane.driver} data plane (ClusterIPs, NodePorts, LoadBalancers)`,
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
