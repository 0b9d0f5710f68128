/**
 * Client side helpers of the load-balancer benchmark: free ports, waiting for a listener, and
 * holding many idle keep-alive connections open (each has made one request) while a proxy's
 * memory is read from /proc.
 */
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';

/** Resolves once 127.0.0.1:port accepts a connection (at most 30 s). */
export async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port} after 30 s`);
}

/** The resident memory of processes (threads included), in MB (10^6 bytes). */
export async function processRss(pids: readonly number[]): Promise<number> {
  let kib = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    kib += Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  }
  return (kib * 1024) / 1e6;
}

/** One keep-alive request on a new connection from `localAddress`; resolves with the open socket. */
function openOne(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress });
    s.setTimeout(30_000, () => s.destroy(new Error('no answer within 30 s')));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\nok')) {
        s.setTimeout(0);
        s.removeAllListeners('data');
        resolve(s);
      }
    });
    s.once('error', reject);
    s.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
  });
}

/**
 * Opens `count` connections to the proxy on `port` (250 at a time, each making one request),
 * waits 3 s for the proxy to settle, calls `measure`, then closes them all.
 */
export async function holdConnections(
  port: number,
  count: number,
  measure: () => Promise<number>,
): Promise<number> {
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < count; i += 250) {
      const batch = Array.from({ length: Math.min(250, count - i) }, (_, j) => {
        const n = i + j;
        return openOne(port, `127.0.${100 + Math.floor(n / 250)}.${(n % 250) + 1}`);
      });
      sockets.push(...(await Promise.all(batch)));
    }
    await new Promise((r) => setTimeout(r, 3000));
    return await measure();
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 500));
  }
}
