/**
 * The gateway side of the S3 benchmark, run as a child process (`fork`) so that the client's CPU
 * and memory are not counted as the gateway's: starts a test gateway (real engine, one device,
 * real SQLite resource store in a temp dir), prints `{url, dir, accessKeyId, secretAccessKey}` as
 * one JSON line on stdout, then answers IPC messages: `{op: 'fill', bucket, keys, timeLimitMs}`
 * bulk-loads keys `k/0000000…` through the engine's inline index batch API (bounded in count and
 * time; replies `{made}`), `{op: 'rss'}` replies `{rss, cpuMs, sysMs}` (bytes; CPU time used so far, and its kernel part), `{op: 'close'}` stops and exits.
 */
import { startTestGateway } from '../src/objectstore/s3/test-gateway.js';

interface FillRequest {
  op: 'fill';
  bucket: string;
  keys: number;
  timeLimitMs: number;
}

type Request = FillRequest | { op: 'rss' } | { op: 'close' };

const BATCH = 10_000;

async function fill(g: Awaited<ReturnType<typeof startTestGateway>>, r: FillRequest): Promise<number> {
  const started = performance.now();
  const data = Buffer.from('x');
  let made = 0;
  while (made < r.keys && performance.now() - started < r.timeLimitMs) {
    const n = Math.min(BATCH, r.keys - made);
    const items = Array.from({ length: n }, (_, i) => ({
      key: `k/${String(made + i).padStart(7, '0')}`,
      data,
    }));
    made += await g.objectStore.loadInlineObjects(r.bucket, items);
  }
  return made;
}

async function main(): Promise<void> {
  const g = await startTestGateway();
  const send = (msg: unknown): void => {
    process.send?.(msg);
  };
  process.stdout.write(
    JSON.stringify({
      url: g.url,
      dir: g.dir,
      accessKeyId: g.key.accessKeyId,
      secretAccessKey: g.key.secretAccessKey,
    }) + '\n',
  );
  let closing = false;
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await g.close();
    process.disconnect?.();
  };
  process.on('disconnect', () => void close());
  process.on('message', (msg: Request) => {
    void (async () => {
      try {
        if (msg.op === 'fill') send({ made: await fill(g, msg) });
        else if (msg.op === 'rss') {
          const cpu = process.cpuUsage();
          send({
            rss: process.memoryUsage().rss,
            cpuMs: (cpu.user + cpu.system) / 1000,
            sysMs: cpu.system / 1000,
          });
        } else await close();
      } catch (err) {
        send({ error: (err as Error).message });
      }
    })();
  });
}

await main();
