/**
 * exec and port-forward figures (issue 11): kubectl's round trip for `exec -- true` against its
 * own `get pod` (one authorized API request), `exec` stdout throughput against a plain pipe of
 * the same bytes, and a download through `kubectl port-forward` against the same download from
 * the pod's host port directly. All through TLS, the API server and the agent, as a user runs them.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { kubectl, nodePod, startAgentCluster, waitForPod } from '../src/agent/agent-testing.js';
import { percentile } from './api-tools.js';
import type { BenchResult } from './result.js';

const ROUNDS = 20;
const MB = 200;

const SERVER =
  "const big=Buffer.alloc(1<<20,'x');require('http').createServer((q,s)=>{let n=+q.url.slice(1);" +
  "const w=()=>{while(n>0){n--;if(!s.write(big))return s.once('drain',w)}s.end()};w()})" +
  ".listen(+process.env.PORT,'127.0.0.1')";

/** Runs `cmd` under sh; resolves with its stdout, trimmed, and the seconds it took. */
function timed(cmd: string, env: Record<string, string>): Promise<{ out: string; s: number }> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-c', cmd], { env });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', () => resolve({ out: out.trim(), s: (performance.now() - t) / 1000 }));
  });
}

async function medianMs(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return percentile(
    times.sort((a, b) => a - b),
    50,
  );
}

/** The figures above; see BENCHMARKS.md. */
export async function benchExec(): Promise<BenchResult[]> {
  const c = await startAgentCluster();
  try {
    await c.agent('n1');
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: join(c.dir, 'home'),
      KUBECONFIG: c.server.kubeconfigPath,
    };
    await c.client.create('pods', nodePod('box', 'n1', SERVER, { ports: [{ containerPort: 8080 }] }));
    const pod = await waitForPod(c.client, 'box', (p) =>
      JSON.stringify(p.status ?? {}).includes('"running"'),
    );
    await kubectl(c, ['exec', 'box', '--', 'true']);
    const exec = await medianMs(() => kubectl(c, ['exec', 'box', '--', 'true']));
    const get = await medianMs(() => kubectl(c, ['get', 'pod', 'box']));
    const bytes = MB * 1_000_000;
    const through = await timed(`kubectl exec box -- head -c ${bytes} /dev/zero | wc -c`, env);
    const plain = await timed(`head -c ${bytes} /dev/zero | cat | wc -c`, env);
    if (through.out !== String(bytes)) throw new Error(`exec delivered ${through.out} bytes`);
    const ports = JSON.parse((pod.metadata?.annotations ?? {})['stratus.dev/host-ports'] ?? '{}') as Record<
      string,
      number
    >;
    const hostPort = Object.values(ports)[0];
    const pf = spawn('kubectl', ['port-forward', 'pod/box', ':8080'], { env });
    try {
      const local = await new Promise<number>((resolve, reject) => {
        let out = '';
        pf.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /127\.0\.0\.1:(\d+)/.exec(out);
          if (m !== null) resolve(Number(m[1]));
        });
        pf.once('close', () => reject(new Error(`kubectl port-forward ended: ${out}`)));
      });
      const forwarded = await timed(`curl -s http://127.0.0.1:${local}/${MB} | wc -c`, env);
      const direct = await timed(`curl -s http://127.0.0.1:${hostPort ?? 0}/${MB} | wc -c`, env);
      const mib = MB * 1024 * 1024;
      if (forwarded.out !== String(mib)) throw new Error(`port-forward delivered ${forwarded.out} bytes`);
      return [
        {
          name: 'kubectl exec -- true, median',
          value: exec,
          unit: 'ms',
          peer: { name: 'kubectl get pod', value: get },
          ratio: exec / get,
        },
        {
          name: `kubectl exec stdout, ${MB} MB`,
          value: MB / through.s,
          unit: 'MB/s',
          peer: { name: 'plain pipe', value: MB / plain.s },
          ratio: plain.s / through.s,
        },
        {
          name: `kubectl port-forward download, ${MB} MiB`,
          value: MB / forwarded.s,
          unit: 'MiB/s',
          peer: { name: 'curl to the host port', value: MB / direct.s },
          ratio: direct.s / forwarded.s,
        },
      ];
    } finally {
      pf.kill();
    }
  } finally {
    await c.close();
  }
}
