/**
 * A bounded load for the data-plane tests: `clients` keep-alive clients (or, with `keepAlive:
 * false`, a new connection per request) send requests one after another until `durationMs` passed or `maxRequests` were sent, and every answer is
 * counted: a failed request is a transport error or a status the caller did not expect.
 */
import { Agent, request } from 'node:http';

/** Options of runLoad. */
export interface LoadOptions {
  /** Default 127.0.0.1. */
  host?: string;
  port: number;
  clients: number;
  durationMs: number;
  maxRequests: number;
  path?: string;
  method?: string;
  /** Waits this long between a client's requests (default 0). */
  pauseMs?: number;
  /** Stops early when this resolves. */
  until?: Promise<unknown>;
  /** Default true; false opens a connection per request (what a kernel DNAT path balances). */
  keepAlive?: boolean;
}

/** What the load saw. */
export interface LoadResult {
  ok: number;
  failed: number;
  /** Failures by status or error code. */
  failures: Record<string, number>;
  /** Successful answers by endpoint (x-endpoint). */
  byEndpoint: Record<string, number>;
}

/** Runs the load (see the file comment). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent =
    options.keepAlive === false ? false : new Agent({ keepAlive: true, maxSockets: options.clients });
  const result: LoadResult = { ok: 0, failed: 0, failures: {}, byEndpoint: {} };
  const deadline = Date.now() + options.durationMs;
  let sent = 0;
  let stop = false;
  void options.until?.then(() => (stop = true));
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const fail = (why: string): void => {
        result.failed++;
        result.failures[why] = (result.failures[why] ?? 0) + 1;
        resolve();
      };
      const req = request(
        {
          host: options.host ?? '127.0.0.1',
          port: options.port,
          path: options.path ?? '/',
          method: options.method ?? 'GET',
          agent,
        },
        (res) => {
          res.resume();
          res.once('end', () => {
            if (res.statusCode !== 200) return fail(String(res.statusCode));
            result.ok++;
            const e = String(res.headers['x-endpoint']);
            result.byEndpoint[e] = (result.byEndpoint[e] ?? 0) + 1;
            resolve();
          });
          res.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
        },
      );
      req.setTimeout(20_000, () => req.destroy(new Error('no answer within 20 s')));
      req.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
      req.end();
    });
  const client = async (): Promise<void> => {
    while (!stop && Date.now() < deadline && sent < options.maxRequests) {
      sent++;
      await one();
      if (options.pauseMs !== undefined) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  if (agent !== false) agent.destroy();
  return result;
}
