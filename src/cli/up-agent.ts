import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../client/index.js';
import { nodeUser } from '../identity/index.js';
import { retireStoredToken } from './component-token.js';
import type { UpComponent } from './up.js';

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
  async start({ server, dataDir, options }) {
    const { Agent } = await import('../agent/index.js');
    const dir = join(dataDir, 'agent');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Earlier versions kept a never-expiring node token there.
    await retireStoredToken(server.store, join(dir, 'token'));
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
        imagesDir: join(dataDir, 'images'),
        nodeName,
        ...(options.defaultRuntime === undefined ? {} : { defaultRuntime: options.defaultRuntime }),
        ...(options.podNetwork === undefined ? {} : { podNetwork: options.podNetwork }),
        ...(options.metricsIntervalMs !== undefined ? { metricsIntervalMs: options.metricsIntervalMs } : {}),
        ...(options.serviceProxy === 'none'
          ? {}
          : { serviceProxy: { ...options.serviceProxy, l7: options.serviceProxy?.l7 ?? ('node' as const) } }),
        onError: (err) => process.stderr.write(`agent: ${(err as Error).message}\n`),
      });
      return {
        lines: [
          `Node ${agent.nodeName} ready (runtimes: ${agent.runtimeNames.join(', ')}; logs endpoint 127.0.0.1:${agent.agentPort})`,
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
