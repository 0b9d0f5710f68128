import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ExecResult, Handler } from './runtime.js';

/** The outcome of one probe or hook: success, and a message for Events when it failed. */
export interface ProbeResult {
  success: boolean;
  message: string;
}

/** Options of `runHandler`. */
export interface RunHandlerOptions {
  /** Seconds before the attempt counts as failed; default 1, as Kubernetes' `timeoutSeconds`. */
  timeoutSeconds?: number;
  /** Runs `exec` handlers in the container (usually `runtime.exec` bound to the container id). */
  exec?: (command: string[], options: { timeoutSeconds: number }) => Promise<ExecResult>;
  /** Host for httpGet/tcpSocket without `host`; default 127.0.0.1 (the `process` runtime's pods). */
  host?: string;
}

const MAX_BODY = 10 * 1024;

function httpGet(
  h: Extract<Handler, { httpGet: unknown }>['httpGet'],
  host: string,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'stratus-probe/1.0', accept: '*/*' };
    for (const { name, value } of h.headers ?? []) headers[name.toLowerCase()] = value;
    const https = h.scheme === 'HTTPS';
    const target = h.host ?? host;
    const req = (https ? httpsRequest : httpRequest)(
      {
        host: target,
        port: h.port,
        path: h.path ?? '/',
        method: 'GET',
        headers,
        timeout: timeoutMs,
        rejectUnauthorized: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (body.length < MAX_BODY) body += d;
        });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          const ok = code >= 200 && code < 400;
          resolve({
            success: ok,
            message: ok ? `HTTP ${code}` : `HTTP probe failed with statuscode: ${code}`,
          });
        });
        res.on('error', (err) =>
          resolve({ success: false, message: `Get "${h.path ?? '/'}": ${err.message}` }),
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`context deadline exceeded (timeout ${timeoutMs / 1000}s)`)),
    );
    req.on('error', (err) => {
      const url = `${https ? 'https' : 'http'}://${target}:${h.port}${h.path ?? '/'}`;
      resolve({ success: false, message: `Get "${url}": ${err.message}` });
    });
    req.end();
  });
}

function tcpSocket(
  h: Extract<Handler, { tcpSocket: unknown }>['tcpSocket'],
  host: string,
  timeoutMs: number,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const target = h.host ?? host;
    const socket = connect({ host: target, port: h.port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ success: true, message: `connected to ${target}:${h.port}` });
    });
    socket.once('timeout', () => socket.destroy(new Error('i/o timeout')));
    socket.once('error', (err) =>
      resolve({ success: false, message: `dial tcp ${target}:${h.port}: ${err.message}` }),
    );
  });
}

/**
 * Runs one probe or lifecycle hook once: httpGet (2xx and 3xx succeed), tcpSocket (a connection
 * succeeds), exec (exit code 0 succeeds) or a preStop sleep, bounded by `timeoutSeconds`. Never
 * throws; a failure carries the message kubelet would put in the `Unhealthy` Event.
 */
export async function runHandler(handler: Handler, options: RunHandlerOptions = {}): Promise<ProbeResult> {
  const timeoutSeconds = options.timeoutSeconds ?? 1;
  const host = options.host ?? '127.0.0.1';
  if ('httpGet' in handler) return httpGet(handler.httpGet, host, timeoutSeconds * 1000);
  if ('tcpSocket' in handler) return tcpSocket(handler.tcpSocket, host, timeoutSeconds * 1000);
  if ('sleep' in handler) {
    const ms = Math.min(handler.sleep.seconds, timeoutSeconds) * 1000;
    await new Promise((r) => setTimeout(r, ms));
    return { success: true, message: `slept ${ms / 1000}s` };
  }
  if (options.exec === undefined)
    return { success: false, message: 'exec handlers need a container to run in' };
  try {
    const r = await options.exec(handler.exec.command, { timeoutSeconds });
    if (r.timedOut) return { success: false, message: `command timed out after ${timeoutSeconds}s` };
    if (r.exitCode === 0) return { success: true, message: r.stdout.slice(0, MAX_BODY) };
    return {
      success: false,
      message: `command exited with ${r.exitCode}: ${(r.stdout + r.stderr).slice(0, MAX_BODY)}`,
    };
  } catch (err) {
    return { success: false, message: (err as Error).message };
  }
}
