import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../cli/server.js';

/** A server in a temp dir plus a fetch helper that sends the admin token; for this part's tests. */
export interface TestCluster {
  server: RunningServer;
  dataDir: string;
  url: string;
  /** fetch against the API with the admin token; `body` objects are sent as JSON. */
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  close(): Promise<void>;
}

/** Options of TestCluster.call. */
export interface CallOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
  token?: string | null;
  /** Extra request headers (`Impersonate-User`, …). */
  headers?: Record<string, string>;
}

/** The reply of TestCluster.call: status, headers and the parsed JSON body (or text). */
export interface CallResult {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** Options of startTestCluster. */
export interface TestClusterOptions extends Pick<ServerOptions, 'bookmarkIntervalMs' | 'api' | 's3Port'> {
  /** Use this data directory (a restarted server's) and leave it in place on close; default a fresh temp dir, removed on close. */
  dataDir?: string;
}

/** Starts a real server (SQLite in a temp dir, port 0) for a test. */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const { dataDir: given, ...rest } = options;
  const dataDir = given ?? (await mkdtemp(join(tmpdir(), 'stratus-api-')));
  const server = await startServer({ dataDir, apiPort: 0, ...rest });
  const call = async (method: string, path: string, o: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== null) headers.authorization = `Bearer ${o.token ?? server.adminToken}`;
    if (o.accept !== undefined) headers.accept = o.accept;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] = o.contentType ?? 'application/json';
    }
    const res = await fetch(server.httpUrl + path, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  return {
    server,
    dataDir,
    url: server.httpUrl,
    call,
    close: async () => {
      await server.close();
      if (given === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns true, at most `tries` times `intervalMs` apart. */
export async function eventually(
  check: () => Promise<boolean>,
  tries = 100,
  intervalMs = 50,
): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}
