import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { sdkClient } from '../objectstore/testing.js';
import { CliHarness } from './cli-harness.js';
import { parseKeyPair } from './storage-test-cloud.js';

interface UsageList {
  items: {
    series: { name: string; kind: string };
    totals: { requests: number; bytesIn: number; bytesOut: number; storageKiBs: number };
  }[];
}

const BODY = 64 * 1024;
/** What one request's headers may add to its bytes, either way (SigV4 headers are under 2 KiB). */
const HEADERS = 4 * 1024;

describe('bucket metering: S3 traffic through the AWS SDK, reported and priced by `stratus usage`', () => {
  let h: CliHarness;
  before(async () => {
    h = await CliHarness.start({ s3Port: 0, usageIntervalMs: 250 });
  });
  after(async () => h?.close());

  it('records a bucket’s requests, bytes in and out and storage, and prices them with the PriceSheet', async () => {
    const s3 = h.server.s3;
    assert.ok(s3);
    const client = sdkClient(s3.url, parseKeyPair(await readFile(s3.credentialsPath, 'utf8')), {
      ca: h.server.tls.trust?.pem,
    });
    // 6 requests: its first ones come before the mirror writes the Bucket object, and count too.
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'metered' }));
      for (const key of ['a', 'b', 'c'])
        await client.send(new PutObjectCommand({ Bucket: 'metered', Key: key, Body: 'x'.repeat(BODY) }));
      for (const key of ['a', 'b']) {
        const got = await client.send(new GetObjectCommand({ Bucket: 'metered', Key: key }));
        assert.equal((await got.Body?.transformToString())?.length, BODY);
      }
    } finally {
      client.destroy();
    }
    await s3.buckets.syncOnce();
    const totals = async (): Promise<UsageList['items'][number]['totals'] | undefined> => {
      const res = await h.client.request<UsageList>('GET', '/apis/usage.stratus.dev/v1/usages', {
        query: { kind: 'bucket', since: '3600' },
      });
      return res.body.items.find((i) => i.series.name === 'metered')?.totals;
    };
    const deadline = Date.now() + 60_000;
    let t = await totals();
    while ((t === undefined || t.requests < 6 || t.storageKiBs === 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      t = await totals();
    }
    assert.ok(t !== undefined && t.requests === 6 && t.storageKiBs > 0, JSON.stringify(t));
    assert.ok(t.bytesIn >= 3 * BODY && t.bytesIn < 3 * BODY + 6 * HEADERS, `bytes in ${t.bytesIn}`);
    assert.ok(t.bytesOut >= 2 * BODY && t.bytesOut < 2 * BODY + 6 * HEADERS, `bytes out ${t.bytesOut}`);

    // $1 a request and $0.001 a byte (a GiB at 1073741.824): the cost is checkable by hand.
    await h.client.create('pricesheets', {
      apiVersion: 'billing.stratus.dev/v1',
      kind: 'PriceSheet',
      metadata: { name: 'default' },
      spec: { currency: 'USD', per1000Requests: '1000', perGiBTransferred: '1073741.824' },
    });
    const json = await h.run(['usage', '--by', 'workload', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { currency: string; rows: Record<string, string>[] };
    const row = report.rows.find((r) => r['workload'] === '/Bucket/metered');
    assert.ok(row, json.stdout);
    assert.equal(row['s3_requests'], '6');
    const bytesIn = Number(row['bytes_in']);
    const bytesOut = Number(row['bytes_out']);
    assert.deepEqual([bytesIn, bytesOut], [t.bytesIn, t.bytesOut]);
    assert.ok(Number(row['storage_gib_hours']) >= 0, json.stdout);
    const micros = 6 * 1_000_000 + (bytesIn + bytesOut) * 1000;
    const cents = Math.floor((micros + 5000) / 10_000);
    assert.equal(row['cost'], `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`);
    assert.ok(Number(row['cost']) > 200, `${row['cost']}: 6 requests and over 192 KiB moved`);

    const csv = await h.run(['usage', '--by', 'workload', '-o', 'csv']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stdout, /\r\n\/Bucket\/metered,[\d.]+,[\d.]+,[\d.]+,[\d.]+,[\d.]+,6,\d+,\d+,[\d.]+\r\n/);
  });
});
