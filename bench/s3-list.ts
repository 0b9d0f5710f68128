/**
 * S3 listing cost on its own (issue 13's listing figure without RGW): the gateway child
 * (`bench/s3-gateway.ts`, one device, R=1) gets 6,000 one-KiB keys over HTTP PUT (so rows carry
 * the metadata real uploads do): 3,000 at `small/NNNNNN` and 3,000 in 30 folders
 * `small/dNN/NNNNNN`. Each case then lists them in pages of max-keys=1000, LIST_PASSES times:
 * ListObjectsV2 and ListObjects v1 (marker paging), with prefix `small/`, with and without
 * delimiter `/`, over signed node:http, and ListObjectsV2 through the AWS SDK v3 as in
 * bench/s3-rgw.ts. Per case: entries (keys + common prefixes) per second, and the gateway's CPU
 * (user + system, from the child's process.cpuUsage) per 1000 entries. Every case checks that
 * it listed exactly the expected entries. `STRATUS_BENCH_S3_PROFILE=DIR` writes the gateway
 * child's CPU profile into DIR.
 */
import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { BenchResult } from './result.js';
import { call, concurrent, startChildGateway, type TestGateway } from './s3.js';

const FOLDERS = 30;
const FLAT = 3000;
const NESTED = 3000;
const LIST_PASSES = 5;
const PAGE = 1000;
const PASS_LIMIT_MS = 30_000;
const BUCKET = 'list-cost';

async function text(body: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

function keyOf(i: number): string {
  const n = String(i).padStart(6, '0');
  return i < FLAT ? `small/${n}` : `small/d${String(i % FOLDERS).padStart(2, '0')}/${n}`;
}

/** One listing pass over HTTP; returns the entries (keys + common prefixes) it saw. */
async function passHttp(g: TestGateway, version: 1 | 2, delimiter: boolean): Promise<number> {
  let entries = 0;
  let token: string | undefined;
  for (let page = 0; page < 100; page++) {
    const base = `${version === 2 ? 'list-type=2&' : ''}max-keys=${PAGE}&prefix=small%2F${delimiter ? '&delimiter=%2F' : ''}`;
    const more =
      token === undefined
        ? ''
        : `&${version === 2 ? 'continuation-token' : 'marker'}=${encodeURIComponent(token)}`;
    const body = await text((await call(g, 'GET', `/${BUCKET}?${base}${more}`)).body);
    const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
    const prefixes = [...body.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]!);
    entries += keys.length + prefixes.length;
    if (!body.includes('<IsTruncated>true</IsTruncated>')) return entries;
    if (version === 2) token = /<NextContinuationToken>([^<]+)</.exec(body)?.[1];
    else token = /<NextMarker>([^<]+)</.exec(body)?.[1] ?? keys[keys.length - 1];
    if (token === undefined) throw new Error('a truncated page without a continuation');
  }
  return entries;
}

async function passSdk(sdk: S3Client): Promise<number> {
  let entries = 0;
  let token: string | undefined;
  for (let page = 0; page < 100; page++) {
    const r = await sdk.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'small/', MaxKeys: PAGE, ContinuationToken: token }),
    );
    entries += r.KeyCount ?? 0;
    token = r.NextContinuationToken;
    if (token === undefined) return entries;
  }
  return entries;
}

/** Runs the listing benchmark; every loop is bounded in count and time. */
export async function benchS3List(): Promise<BenchResult[]> {
  const g = await startChildGateway();
  const results: BenchResult[] = [];
  const cpuMs = async (): Promise<number> => (await g.ask<{ cpuMs: number }>({ op: 'rss' }, 10_000)).cpuMs;
  const sdk = new S3Client({
    endpoint: g.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: g.key,
  });
  try {
    await call(g, 'PUT', `/${BUCKET}`);
    const body = randomBytes(1024);
    const total = FLAT + NESTED;
    await concurrent(total, async (i) => {
      await text((await call(g, 'PUT', `/${BUCKET}/${keyOf(i)}`, body)).body);
    });
    const cases: Array<{ name: string; expect: number; pass: () => Promise<number> }> = [
      { name: 'ListObjectsV2', expect: total, pass: () => passHttp(g, 2, false) },
      { name: 'ListObjects v1', expect: total, pass: () => passHttp(g, 1, false) },
      { name: 'ListObjectsV2 delimiter /', expect: FLAT + FOLDERS, pass: () => passHttp(g, 2, true) },
      { name: 'ListObjects v1 delimiter /', expect: FLAT + FOLDERS, pass: () => passHttp(g, 1, true) },
      { name: 'ListObjectsV2 SDK', expect: total, pass: () => passSdk(sdk) },
    ];
    for (const c of cases) {
      // One unmeasured pass warms the statement cache and the JIT.
      if ((await c.pass()) !== c.expect) throw new Error(`${c.name}: not ${c.expect} entries`);
      const cpu0 = await cpuMs();
      const t = performance.now();
      let entries = 0;
      for (let p = 0; p < LIST_PASSES && performance.now() - t < PASS_LIMIT_MS; p++) {
        const n = await c.pass();
        if (n !== c.expect) throw new Error(`${c.name}: listed ${n} entries, not ${c.expect}`);
        entries += n;
      }
      const seconds = (performance.now() - t) / 1000;
      const cpu = (await cpuMs()) - cpu0;
      results.push(
        {
          name: `s3 list ${c.name} (6,000 keys, pages of ${PAGE})`,
          value: entries / seconds,
          unit: 'entries/s',
        },
        { name: `s3 list ${c.name} gateway CPU per 1000 entries`, value: (cpu * 1000) / entries, unit: 'ms' },
      );
    }
  } finally {
    sdk.destroy();
    await g.close();
  }
  return results;
}
