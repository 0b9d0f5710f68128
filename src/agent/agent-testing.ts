import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { startServer, type RunningServer } from '../cli/server.js';
import { nodeUser } from '../identity/index.js';
import { Agent, type AgentOptions } from './agent.js';

/** A server plus agents on temp data dirs, for the agent's tests. */
export interface AgentCluster {
  server: RunningServer;
  client: KubeClient;
  dir: string;
  /**
   * Starts an agent on `dataDir` (default: DIR/agent-NAME) with fast test timings, acting as
   * `system:node:NAME` (a loopback token of the server), so the Node authorizer and
   * NodeRestriction confine it as any node.
   */
  agent(name: string, options?: Partial<AgentOptions>): Promise<Agent>;
  /** Every agent started, in order (closed ones included). */
  agents: Agent[];
  close(): Promise<void>;
}

/** Starts a server on port 0 in a temp dir; `agent()` adds nodes; `close()` removes it all. */
export async function startAgentCluster(): Promise<AgentCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-agent-'));
  const server = await startServer({ dataDir: join(dir, 'server'), apiPort: 0 });
  const client = new KubeClient({
    server: server.httpUrl,
    token: server.adminToken,
    namespace: 'default',
    contextName: 'test',
  });
  const agents: Agent[] = [];
  const nodeClients: KubeClient[] = [];
  return {
    server,
    client,
    dir,
    agents,
    agent: async (name, options = {}) => {
      const nodeClient = new KubeClient({
        server: server.httpUrl,
        token: server.loopbackToken(nodeUser(name)),
        namespace: 'default',
        contextName: `node-${name}`,
      });
      nodeClients.push(nodeClient);
      const agent = await Agent.start({
        client: nodeClient,
        dataDir: join(dir, `agent-${name}`),
        nodeName: name,
        resyncIntervalMs: 1000,
        leaseIntervalMs: 1000,
        probeTickMs: 100,
        backoff: { initialMs: 200, maxMs: 1600 },
        onError: () => undefined,
        ...options,
      });
      agents.push(agent);
      return agent;
    },
    close: async () => {
      // The last agent of each data dir owns that dir's processes: stop them, then close all.
      const owners = new Map(agents.map((a) => [a.dataDir, a]));
      for (const a of owners.values()) await a.stopAllPods().catch(() => undefined);
      for (const a of agents) await a.close().catch(() => undefined);
      for (const n of nodeClients) await n.close();
      await client.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A bound pod running `node -e SCRIPT` with the given extra container fields. */
export function nodePod(
  name: string,
  node: string,
  script: string,
  extra: Record<string, unknown> = {},
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'main', image: 'node', command: [process.execPath, '-e', script], ...extra }],
      ...spec,
    },
  };
}

/** Polls the pod until `check` holds (at most `tries` × 100 ms); returns the last pod seen. */
export async function waitForPod(
  client: KubeClient,
  name: string,
  check: (pod: KubeObject & { status?: Record<string, unknown> }) => boolean,
  tries = 150,
): Promise<KubeObject & { status?: Record<string, unknown> }> {
  let last: (KubeObject & { status?: Record<string, unknown> }) | undefined;
  for (let i = 0; i < tries; i++) {
    try {
      last = await client.get('pods', name);
      if (check(last)) return last;
    } catch {
      // not there (yet, or any more)
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`pod ${name} never reached the expected state; last: ${JSON.stringify(last?.status)}`);
}

/** A small HTTP server on $PORT that answers `ok <pid>`. */
export const HTTP_SCRIPT =
  "require('http').createServer((q,s)=>s.end('ok '+process.pid)).listen(+process.env.PORT,'127.0.0.1');" +
  "process.on('SIGTERM',()=>{console.log('got SIGTERM');process.exit(0)});" +
  "console.log('pid='+process.pid+' port='+process.env.PORT)";

/** The `pid=N port=M` line HTTP_SCRIPT prints, parsed (the last one in the text). */
export function pidPort(log: string): { pid: number; port: number } {
  const all = [...log.matchAll(/pid=(\d+) port=(\d+)/g)];
  const m = all[all.length - 1];
  if (m === undefined) throw new Error(`no pid/port line in log: ${log}`);
  return { pid: Number(m[1]), port: Number(m[2]) };
}

/** The real kubectl, or the reason tests that need it skip. */
export const KUBECTL = '/usr/bin/kubectl';
const kubectlMissing = !existsSync(KUBECTL);
if (kubectlMissing && process.env['CI'] === 'true')
  throw new Error(`kubectl is required under CI (${KUBECTL} is missing)`);
/** `false`, or why kubectl tests skip. */
export const kubectlSkip: string | false = kubectlMissing ? `kubectl not installed at ${KUBECTL}` : false;

/** One kubectl run's outcome. */
export interface KubectlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where kubectl runs: a directory for its HOME, and the server whose kubeconfig it reads. */
export interface KubectlTarget {
  dir: string;
  server: { kubeconfigPath: string };
}

/**
 * Runs kubectl (or `argv`) against the cluster with its own HOME, 60 s at most; `input` goes to
 * its stdin (then EOF; none: /dev/null), `env` adds to its environment, and `stopWhen` ends it
 * (SIGTERM) once its output satisfies the check, for `logs -f` and `attach`.
 */
export function kubectl(
  c: KubectlTarget,
  args: string[],
  options: {
    stopWhen?: (stdout: string) => boolean;
    env?: Record<string, string>;
    input?: string | Buffer;
    argv?: string[];
  } = {},
): Promise<KubectlRun> {
  return new Promise((resolve, reject) => {
    const [file = KUBECTL, ...rest] = options.argv ?? [KUBECTL, ...args];
    const child = spawn(file, rest, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: join(c.dir, 'home'),
        KUBECONFIG: c.server.kubeconfigPath,
        ...options.env,
      },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (options.stopWhen?.(stdout)) child.kill('SIGTERM');
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Reads a pod's log through the API (`GET pods/{name}/log`) with the given query. */
export async function podLog(
  c: AgentCluster,
  name: string,
  query: Record<string, string> = {},
): Promise<string> {
  const res = await c.client.request<string>('GET', `/api/v1/namespaces/default/pods/${name}/log`, { query });
  return typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
}

/** Polls the pod's log (at most 5 s) until it matches `pattern`; returns the log. */
export async function waitForLog(c: AgentCluster, name: string, pattern: RegExp): Promise<string> {
  let log = '';
  // Up to a minute: a busy machine starts processes slowly.
  for (let i = 0; i < 600; i++) {
    log = await podLog(c, name).catch(() => '');
    if (pattern.test(log)) return log;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the log of pod ${name} never matched ${String(pattern)}: ${log}`);
}

/** True while a process with this pid runs (a zombie no init process reaped yet counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
