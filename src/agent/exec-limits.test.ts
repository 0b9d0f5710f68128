import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { ContainerStatus } from 'kubernetes-types/core/v1.js';
import { WebSocket } from 'ws';
import { nodePod, startAgentCluster, waitForPod, type AgentCluster } from './agent-testing.js';

const cs = (p: { status?: unknown }): ContainerStatus | undefined =>
  ((p.status ?? {}) as { containerStatuses?: ContainerStatus[] }).containerStatuses?.[0];
const running = (p: { status?: unknown }): boolean => cs(p)?.state?.running !== undefined;

/** An exec session opened with the channel protocol, as kubectl opens it, with what came back. */
interface Session {
  ws: WebSocket;
  /** Bytes per channel. */
  got: Map<number, Buffer>;
  closed: Promise<{ code: number; reason: string }>;
}

function execSocket(
  c: AgentCluster,
  command: string[],
  query = 'stdout=true&stderr=true',
  protocol = 'v5.channel.k8s.io',
): WebSocket {
  const q = command.map((a) => `command=${encodeURIComponent(a)}`).join('&');
  const url = `${c.server.httpUrl?.replace('http', 'ws') ?? ''}/api/v1/namespaces/default/pods/box/exec?${q}&${query}`;
  return new WebSocket(url, [protocol], {
    headers: { authorization: `Bearer ${c.server.adminToken}` },
  });
}

async function open(c: AgentCluster, command: string[], query?: string, protocol?: string): Promise<Session> {
  const ws = execSocket(c, command, query, protocol);
  const got = new Map<number, Buffer>();
  ws.on('message', (d: Buffer) => {
    const ch = d[0] ?? -1;
    got.set(ch, Buffer.concat([got.get(ch) ?? Buffer.alloc(0), d.subarray(1)]));
  });
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.once('close', (code, reason) => r({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, got, closed };
}

/** The answer to an upgrade the server refused. */
function refusal(ws: WebSocket): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('error', () => undefined);
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

describe('exec sessions: protocol, idle timeout, session cap, malformed frames', () => {
  let c: AgentCluster;
  before(async () => {
    c = await startAgentCluster();
    await c.agent('n1', { streamLimits: { idleTimeoutMs: 1500, maxSessions: 2 } });
    await c.client.create('pods', nodePod('box', 'n1', 'setInterval(()=>{},1000)'));
    await waitForPod(c.client, 'box', running);
  });
  after(async () => c?.close());

  it('stdin in, stdout and stderr out, the exit Status on channel 3, then a normal close', async () => {
    const s = await open(c, ['sh', '-c', 'cat; echo bye >&2; exit 5'], 'stdin=true&stdout=true&stderr=true');
    s.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('ping\n')]));
    s.ws.send(Buffer.from([255, 0]));
    const end = await s.closed;
    assert.equal(end.code, 1000);
    assert.equal(s.got.get(1)?.toString(), 'ping\n');
    assert.equal(s.got.get(2)?.toString(), 'bye\n');
    const status = JSON.parse(s.got.get(3)?.toString() ?? '{}') as { reason?: string; details?: unknown };
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '5' }] });
  });

  it('v4.channel.k8s.io (older clients): the same channels, no close message', async () => {
    const s = await open(
      c,
      ['sh', '-c', 'read l; echo "$l"; echo err >&2; exit 2'],
      'stdin=true&stdout=true&stderr=true',
      'v4.channel.k8s.io',
    );
    assert.equal(s.ws.protocol, 'v4.channel.k8s.io');
    s.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('over v4\n')]));
    const end = await s.closed;
    assert.equal(end.code, 1000);
    assert.equal(s.got.get(1)?.toString(), 'over v4\n');
    assert.equal(s.got.get(2)?.toString(), 'err\n');
    const status = JSON.parse(s.got.get(3)?.toString() ?? '{}') as { details?: unknown };
    assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '2' }] });
  });

  it('a silent session is closed after the idle timeout', async () => {
    const s = await open(c, ['cat'], 'stdin=true&stdout=true');
    const end = await s.closed;
    assert.equal(end.code, 1000);
    assert.equal(end.reason, 'idle timeout');
  });

  it('a malformed frame ends the session with a protocol error', async () => {
    const s = await open(c, ['cat'], 'stdin=true&stdout=true');
    s.ws.send(Buffer.from([1, 65])); // stdout is not a client's channel
    const end = await s.closed;
    assert.equal(end.code, 1002);
    assert.match(end.reason, /channel 1/);
  });

  it('the agent refuses sessions beyond its cap with 429', async () => {
    const a = await open(c, ['cat'], 'stdin=true&stdout=true');
    const b = await open(c, ['cat'], 'stdin=true&stdout=true');
    const third = await refusal(execSocket(c, ['cat'], 'stdin=true&stdout=true'));
    assert.equal(third.status, 429);
    assert.match(third.body, /too many streaming sessions on this node \(at most 2\)/);
    a.ws.close();
    b.ws.close();
    await Promise.all([a.closed, b.closed]);
  });

  it('an unknown container and a missing command are refused before the upgrade', async () => {
    const bad = await refusal(execSocket(c, ['ls'], 'stdout=true&container=nope'));
    assert.equal(bad.status, 400);
    assert.match(bad.body, /container nope is not valid for pod box/);
    const plain = await fetch(
      `${c.server.httpUrl ?? ''}/api/v1/namespaces/default/pods/box/exec?command=ls`,
      {
        headers: { authorization: `Bearer ${c.server.adminToken}` },
      },
    );
    assert.equal(plain.status, 400);
    assert.match(await plain.text(), /Upgrade request required/);
  });
});
