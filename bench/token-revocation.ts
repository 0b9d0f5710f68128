/**
 * Token revocation benchmark: how long a revoked token keeps working. A fresh `stratus server`
 * child gets TOKENS user tokens; for each, a client sends back-to-back GETs with it (keep-alive,
 * plain HTTP from loopback) while `bin/stratus token revoke ID` runs as a user runs it, and the
 * time from the command's "revoked" line (the DELETE acknowledged) to the client's first 401 is
 * recorded (0 when the token already failed by then). Prints p50 and max, with the command's own
 * run time beside them. Bounded: TOKENS rounds, each with a 10 s deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashToken, newToken, tokenId, tokenSecret } from '../src/identity/index.js';
import { check, startStratus } from './api.js';
import { percentile, stop } from './api-tools.js';
import type { BenchResult } from './result.js';

const TOKENS = 10;
const DEADLINE_MS = 10_000;

/** The status of one GET with `token`. */
function status(url: string, token: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/v1/namespaces/default/configmaps/revocation`,
      { agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Runs `stratus token revoke ID`; resolves with when it printed "revoked" and when it exited. */
function revoke(dataDir: string, id: string): Promise<{ startedAt: number; ackAt: number; exitAt: number }> {
  const bin = fileURLToPath(new URL('../../bin/stratus', import.meta.url));
  const startedAt = performance.now();
  let ackAt = 0;
  let out = '';
  const child = spawn(bin, ['token', 'revoke', id], {
    env: { ...process.env, KUBECONFIG: join(dataDir, 'kubeconfig') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (ackAt === 0 && out.includes('revoked')) ackAt = performance.now();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0 || ackAt === 0) reject(new Error(`stratus token revoke ${id}: ${out}`));
      else resolve({ startedAt, ackAt, exitAt: performance.now() });
    });
  });
}

/** Runs the revocation benchmark; see the module comment. */
export async function benchTokenRevocation(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-bench-revoke-'));
  let child: ChildProcess | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const dataDir = join(dir, 'stratus');
    const s = await startStratus(dataDir);
    child = s.child;
    const afterAck: number[] = [];
    const command: number[] = [];
    for (let i = 0; i < TOKENS; i++) {
      const token = newToken();
      const secret = tokenSecret(token, { username: `revoked-${i}`, groups: [] });
      await check(
        await fetch(`${s.url}/api/v1/namespaces/kube-system/secrets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(secret),
        }),
        'POST token Secret',
      );
      if ((await status(s.url, token, agent)) === 401) throw new Error('a new token was refused');
      const revoking = revoke(dataDir, tokenId(hashToken(token)));
      let firstRefusal = 0;
      const deadline = performance.now() + DEADLINE_MS;
      while (performance.now() < deadline) {
        if ((await status(s.url, token, agent)) === 401) {
          firstRefusal = performance.now();
          break;
        }
      }
      const times = await revoking;
      if (firstRefusal === 0)
        throw new Error(`token ${i} still worked ${DEADLINE_MS} ms after its revocation`);
      afterAck.push(Math.max(0, firstRefusal - times.ackAt));
      command.push(times.exitAt - times.startedAt);
    }
    const sorted = [...afterAck].sort((a, b) => a - b);
    const cmd = [...command].sort((a, b) => a - b);
    return [
      {
        name: `token revoked -> first 401, p50 of ${TOKENS}`,
        value: percentile(sorted, 50),
        unit: 'ms',
        goal: '<= 1000 ms',
      },
      {
        name: `token revoked -> first 401, max of ${TOKENS}`,
        value: sorted.at(-1) ?? 0,
        unit: 'ms',
        goal: '<= 1000 ms',
      },
      { name: '`stratus token revoke` run time, p50', value: percentile(cmd, 50), unit: 'ms' },
    ];
  } finally {
    agent.destroy();
    if (child) await stop(child);
    await rm(dir, { recursive: true, force: true });
  }
}
