import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { rawAnswer, type SessionGate } from './exec-server.js';
import { RST_REFUSED_STREAM } from './spdy-frames.js';
import { SpdySession, acceptSpdy, type SpdyStream, type SpdyTransport } from './spdy-session.js';

/** The WebSocket subprotocol of kubectl ≥ 1.31's port-forward: SPDY tunnelled in binary messages. */
export const TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** Where a pod's port is reached from this node, or why it cannot be. */
export type PortTarget = { host: string; port: number } | { error: string };

/** Resolves a pod's port (`port` as kubectl names it: the container port). */
export type PortResolver = (namespace: string, pod: string, port: number) => Promise<PortTarget>;

/** A data stream waits at most this long for its error stream (and the other way round), as kubelet. */
const PAIR_TIMEOUT_MS = 30_000;

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/**
 * Serves `kubectl port-forward` as kubelet does (protocol `portforward.k8s.io`): over SPDY/3.1,
 * either tunnelled in a WebSocket (what kubectl 1.32 asks first) or on the upgraded connection
 * itself (its fallback). For every local connection kubectl opens an error stream and a data
 * stream with the same `requestID` and the remote `port`; the agent connects to the pod's port
 * and copies the data stream both ways, writing any failure to the error stream.
 */
export class PortForwardServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 2 * 1024 * 1024,
    handleProtocols: (offered) => (offered.has(TUNNEL_PROTOCOL) ? TUNNEL_PROTOCOL : false),
  });
  private readonly sessions = new Set<SpdySession>();

  constructor(
    private readonly resolve: PortResolver,
    private readonly gate: SessionGate,
  ) {}

  /** Upgrades the request (WebSocket tunnel or plain SPDY) and serves its streams. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, pod: { namespace: string; name: string }): void {
    const release = this.gate.take();
    if (release === undefined) {
      rawAnswer(socket, 429, `too many streaming sessions on this node (at most ${this.gate.max})`);
      return;
    }
    socket.once('close', release);
    const upgrade = (req.headers.upgrade ?? '').toLowerCase();
    if (upgrade === 'websocket') {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const session = this.serve(pod, {
          write: (b) => ws.send(b),
          close: () => ws.close(1000),
          buffered: () => ws.bufferedAmount,
        });
        ws.on('message', (d: Buffer) => session.feed(d));
        ws.once('close', () => session.close());
      });
      return;
    }
    if (upgrade !== 'spdy/3.1') {
      rawAnswer(socket, 400, `unsupported upgrade "${upgrade}": port-forward speaks SPDY/3.1`);
      return;
    }
    acceptSpdy(socket, head, 'portforward.k8s.io', (t) => this.serve(pod, t));
  }

  private serve(pod: { namespace: string; name: string }, transport: SpdyTransport): SpdySession {
    const idle = this.gate.idleTimer(() => session.close('idle timeout'));
    const session = new SpdySession({
      write: (b) => {
        idle.touch();
        transport.write(b);
      },
      close: () => transport.close(),
      buffered: () => transport.buffered(),
    });
    this.sessions.add(session);
    const pairs = new Map<string, Pair>();
    session.on('stream', (stream) => {
      idle.touch();
      stream.on('data', () => idle.touch());
      const type = stream.headers.get('streamtype');
      const id = stream.headers.get('requestid') ?? '';
      if (type !== 'error' && type !== 'data') return stream.reset(RST_REFUSED_STREAM);
      let pair = pairs.get(id);
      if (pair === undefined) {
        const timer = setTimeout(() => {
          pairs.delete(id);
          pair?.error?.reset();
          pair?.data?.reset();
        }, PAIR_TIMEOUT_MS);
        timer.unref();
        pair = { timer };
        pairs.set(id, pair);
      }
      if (pair[type] !== undefined) return stream.reset(RST_REFUSED_STREAM);
      pair[type] = stream;
      if (pair.error !== undefined && pair.data !== undefined) {
        clearTimeout(pair.timer);
        pairs.delete(id);
        void this.forward(session, pod, pair.error, pair.data);
      }
    });
    session.once('close', () => {
      idle.stop();
      for (const p of pairs.values()) clearTimeout(p.timer);
      this.sessions.delete(session);
    });
    return session;
  }

  private async forward(
    session: SpdySession,
    pod: { namespace: string; name: string },
    error: SpdyStream,
    data: SpdyStream,
  ): Promise<void> {
    const fail = (message: string): void => {
      error.write(Buffer.from(message));
      error.end();
      data.end();
    };
    const port = Number(data.headers.get('port'));
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return fail(`invalid port ${JSON.stringify(data.headers.get('port'))}`);
    const target = await this.resolve(pod.namespace, pod.name, port);
    if ('error' in target) return fail(target.error);
    const tcp = connect(target.port, target.host);
    let connected = false;
    tcp.on('connect', () => (connected = true));
    tcp.on('data', (d: Buffer) => {
      if (data.write(d)) return;
      tcp.pause();
      session.whenDrained(() => tcp.resume());
    });
    tcp.on('end', () => data.end());
    tcp.on('error', (err) => {
      if (!connected)
        fail(`error forwarding port ${port} to pod ${pod.namespace}/${pod.name}: ${err.message}`);
    });
    tcp.on('close', () => {
      data.end();
      error.end();
    });
    data.on('data', (d) => tcp.write(d));
    data.on('end', () => tcp.end());
    data.on('reset', () => tcp.destroy());
    error.on('reset', () => tcp.destroy());
  }

  async close(): Promise<void> {
    for (const s of [...this.sessions]) s.close();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}
