/**
 * Test support: a whole cloud (server, controllers) with one agent on the pod network, on a
 * bridge, netns prefix and nftables table of the test's own (named from its tag and pid, so that
 * parallel runs never share one), removed again by `close()`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../client/index.js';
import { startCloud, type RunningCloud } from '../../cli/up.js';
import { nodeUser } from '../../identity/index.js';
import { ip, netnsList } from '../../network/pod-network/index.js';
import { runNft } from '../../network/nftables/nftables-data-plane.js';
import { Agent, type AgentOptions } from '../agent.js';

/** Options of `startNetnsCloud`. */
export interface NetnsCloudOptions {
  /** Two letters naming the test (`pa`); the pid is appended. */
  tag: string;
  /** The cluster's pod range (a /16) and Service range, apart from other tests'. */
  clusterCidr: string;
  serviceCidr: string;
  /** Runs in the temp dir before the cloud starts (to build images, say). */
  prepare?: (dir: string) => Promise<void>;
  /** The agent's options beyond its client, data dir, node name, pod network and service proxy. */
  agent: (dirs: { dir: string; agentDir: string }) => Partial<AgentOptions>;
}

/** A running netns cloud: the temp dir (the cloud's data under `cloud/`), the admin client, the agent. */
export interface NetnsCloud {
  dir: string;
  /** The agent's data directory. */
  agentDir: string;
  /** The test's bridge, netns prefix and nftables table. */
  names: { bridge: string; netnsPrefix: string; table: string };
  cloud: RunningCloud;
  admin: KubeClient;
  agent: Agent;
  nodeName: string;
  close(): Promise<void>;
}

/** Starts the cloud; anything a failed start left behind is removed before it throws. */
export async function startNetnsCloud(options: NetnsCloudOptions): Promise<NetnsCloud> {
  const tag = `${options.tag}${process.pid % 100000}`;
  const names = { bridge: `st${tag}`, netnsPrefix: `st${tag}-`, table: `stratus-test-${tag}` };
  const nodeName = `node-${tag}`;
  const dir = await mkdtemp(join(tmpdir(), `stratus-${options.tag}-`));
  let cloud: RunningCloud | undefined;
  let agent: Agent | undefined;
  const close = async (): Promise<void> => {
    await cloud?.close().catch(() => undefined);
    for (const ns of await netnsList()) if (ns.startsWith(names.netnsPrefix)) await ip(['netns', 'del', ns]);
    await ip(['link', 'del', names.bridge]).catch(() => undefined);
    await runNft('nft', ['delete', 'table', 'ip', names.table]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await options.prepare?.(dir);
    cloud = await startCloud(
      {
        dataDir: join(dir, 'cloud'),
        apiPort: 0,
        controllers: true,
        clusterCidr: options.clusterCidr,
        serviceClusterIPRange: options.serviceCidr,
      },
      [
        {
          name: 'agent',
          async start({ server, dataDir }) {
            const client = new KubeClient({
              server: server.httpUrl,
              token: server.loopbackToken(nodeUser(nodeName)),
              namespace: 'default',
              contextName: 'agent',
            });
            const agentDir = join(dataDir, 'agent');
            const a = await Agent.start({
              client,
              dataDir: agentDir,
              nodeName,
              podNetwork: {
                names,
                dnsPort: 53,
                dnsUpstreams: [],
                serviceCidrs: [options.serviceCidr],
                forwarding: false,
              },
              serviceProxy: { l7: 'node', threads: 1 },
              ...options.agent({ dir, agentDir }),
            });
            agent = a;
            return {
              lines: [],
              close: async () => {
                await a.stopAllPods();
                await a.network?.network.destroy();
                await a.close();
                await client.close();
              },
            };
          },
        },
      ],
    );
  } catch (err) {
    await close();
    throw err;
  }
  if (agent === undefined) throw new Error('the cloud started without its agent');
  const admin = new KubeClient({
    server: cloud.server.httpUrl,
    token: cloud.server.adminToken,
    namespace: 'default',
    contextName: 'test',
  });
  return {
    dir,
    agentDir: join(dir, 'cloud', 'agent'),
    names,
    cloud,
    admin,
    agent,
    nodeName,
    close: async () => {
      await admin.close();
      await close();
    },
  };
}
