/**
 * The node agent of `bench/runc-pods.ts` in a process of its own, so its memory is measured
 * apart from the API server's: the agent of `stratus agent --default-runtime runc`, on the
 * bench's own bridge, pod range and nft table. Started with one JSON argument (server URL, node
 * token, data and images dirs, names); prints `ready` once registered; on stdin, `rss` prints
 * the process's memory (`/proc/self/smaps_rollup` Rss and Pss, in KiB) and `close` stops its
 * pods, removes its network and exits.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Agent } from '../src/agent/index.js';
import { KubeClient } from '../src/client/index.js';

/** What the bench passes as the one argument. */
export interface BenchAgentConfig {
  server: string;
  token: string;
  nodeName: string;
  dataDir: string;
  imagesDir: string;
  names: { bridge: string; netnsPrefix: string; table: string };
  serviceCidr: string;
}

/** Rss and Pss of a process in KiB, from its smaps_rollup. */
export function memoryOf(pid: number | 'self'): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: field('Rss'), pss: field('Pss') };
}

async function main(config: BenchAgentConfig): Promise<void> {
  const client = new KubeClient({
    server: config.server,
    token: config.token,
    namespace: 'default',
    contextName: 'agent',
  });
  const agent = await Agent.start({
    client,
    dataDir: config.dataDir,
    imagesDir: config.imagesDir,
    nodeName: config.nodeName,
    defaultRuntime: 'runc',
    podNetwork: {
      names: config.names,
      dnsPort: 53,
      dnsUpstreams: [],
      serviceCidrs: [config.serviceCidr],
      forwarding: false,
    },
    onError: (err) => process.stderr.write(`agent: ${(err as Error).message}\n`),
  });
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'rss') process.stdout.write(`${JSON.stringify(memoryOf('self'))}\n`);
    if (line === 'close') break;
  }
  await agent.stopAllPods();
  await agent.network?.network.destroy();
  await agent.close();
  await client.close();
  process.stdout.write('closed\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(JSON.parse(process.argv[2] ?? '{}') as BenchAgentConfig).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
