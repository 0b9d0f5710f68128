import { after, before, test } from 'node:test';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deploymentAcceptance } from '../agent/testing/index.js';
import { startCloud, UP_COMPONENTS, type RunningCloud } from './up.js';

const KUBECTL = '/usr/bin/kubectl';
const missing = !existsSync(KUBECTL);
if (missing && process.env.CI === 'true') throw new Error(`kubectl is required under CI (${KUBECTL})`);
const WEB_YAML = fileURLToPath(new URL('../../../examples/web.yaml', import.meta.url));

let dir: string;
let cloud: RunningCloud;

before(async () => {
  if (missing) return;
  dir = await mkdtemp(join(tmpdir(), 'stratus-up-workloads-'));
  cloud = await startCloud({ dataDir: join(dir, 'data'), apiPort: 0, controllers: true }, UP_COMPONENTS);
});
after(async () => {
  if (missing) return;
  await cloud.close();
  await rm(dir, { recursive: true, force: true });
});

function kubectl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      KUBECTL,
      args,
      { env: { ...process.env, HOME: dir, KUBECONFIG: cloud.server.kubeconfigPath }, timeout: 120_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    );
  });
}

// The body is shared with the runc variant, src/agent/runc-pod-network.test.ts, which runs the
// same acceptance on `stratus up --default-runtime runc` with examples/runc/busybox-web.yaml.
test(
  'make up runs the example Deployment as real processes that answer, roll, undo and heal',
  { skip: missing ? `kubectl not installed at ${KUBECTL}` : false },
  async () => {
    await deploymentAcceptance({
      kubectl,
      manifest: WEB_YAML,
      deployment: 'web',
      container: 'web',
      images: ['node:20-alpine', 'node:22-alpine'],
      // Each process listens on the host port it was given and says which in its log.
      reach: async (pod) => {
        const port = Number(/listening on (\d+)/.exec(await kubectl('logs', pod.metadata.name))?.[1]);
        return (await fetch(`http://127.0.0.1:${port}/`)).text();
      },
      greeting: (name) => `Hello from Stratus (${name})\n`,
    });
  },
);
