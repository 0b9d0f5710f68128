/**
 * What access checks cost: 1 KiB GET throughput from a bucket with a 20-statement bucket policy
 * (none of which matches the owner's GET, so every statement is tested on every request, the
 * worst case) against the same GETs from a bucket without one, in the same run and gateway,
 * rounds interleaved, best of each. The goal: the policy costs at most 5 %.
 */
import type { BenchResult } from './result.js';
import type { BucketInfo, ObjectStore } from '../src/objectstore/object-store.js';
import { checkAccess } from '../src/objectstore/s3/access-check.js';
import { AccessCache } from '../src/objectstore/s3/bucket-access.js';
import { call, concurrent, startChildGateway, type TestGateway } from './s3.js';
import { SmallHttpConnection } from './s3-small-client.js';

const OBJECTS = 200;
const OPS = 20_000;
const ROUNDS = 3;
const CONCURRENCY = 16;

/** Twenty statements in the shapes policies have: prefixes, conditions, principals, denies. */
function twentyStatements(bucket: string): string {
  const statements = Array.from({ length: 20 }, (_, i) => {
    switch (i % 4) {
      case 0:
        return {
          Sid: `s${i}`,
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/public-${i}/*`,
        };
      case 1:
        return {
          Sid: `s${i}`,
          Effect: 'Deny',
          Principal: '*',
          Action: ['s3:DeleteObject', 's3:PutObject'],
          Resource: `arn:aws:s3:::${bucket}/locked-${i}/*`,
        };
      case 2:
        return {
          Sid: `s${i}`,
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${bucket}/*`,
          Condition: { NotIpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '10.0.0.0/8'] } },
        };
      default:
        return {
          Sid: `s${i}`,
          Effect: 'Allow',
          Principal: { AWS: [`arn:aws:iam::000000000000:user/user${i}`] },
          Action: 's3:*',
          Resource: [`arn:aws:s3:::${bucket}/home/user${i}/*`],
        };
    }
  });
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/**
 * The access check alone, in this process: nanoseconds per `checkAccess` of the owner's GET with
 * the twenty statements against a bucket without a policy (best of three rounds each). It shows
 * what the HTTP figure cannot on a busy machine, where a GET's other costs swamp it.
 */
async function checkCost(): Promise<{ policed: number; plain: number }> {
  const cache = new AccessCache();
  const bucket = (name: string, access: string): BucketInfo => ({
    name,
    owner: 'admin',
    created: new Date(),
    versioning: 'Off',
    access,
    version: '1',
  });
  const plain = bucket('plain', '');
  const policed = bucket('policed', JSON.stringify({ policy: twentyStatements('policed') }));
  // The owner's GET never reaches the store (no object ACL or tags are needed).
  const store = {} as ObjectStore;
  const query = new Map<string, string>();
  const round = async (info: BucketInfo): Promise<number> => {
    const access = cache.resolve(info);
    const n = 100_000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i++)
      await checkAccess(store, info, access, {
        operation: 'GetObject',
        bucket: info.name,
        key: `o${i % OBJECTS}`,
        user: 'admin',
        query,
        headers: {},
        remoteAddress: '::ffff:127.0.0.1',
        secure: false,
        now: Date.now(),
      });
    return Number(process.hrtime.bigint() - started) / n;
  };
  let best = { policed: Infinity, plain: Infinity };
  for (let r = 0; r < ROUNDS; r++)
    best = {
      plain: Math.min(best.plain, await round(plain)),
      policed: Math.min(best.policed, await round(policed)),
    };
  return best;
}

/** Runs the access-check benchmark. */
export async function benchS3Access(): Promise<BenchResult[]> {
  const g: TestGateway = await startChildGateway();
  const conns = Array.from(
    { length: CONCURRENCY },
    () => new SmallHttpConnection(g.hostname, Number(g.port)),
  );
  try {
    const body = Buffer.alloc(1024, 7);
    for (const bucket of ['plain', 'policed']) {
      await call(g, 'PUT', `/${bucket}`);
      for (let i = 0; i < OBJECTS; i++) await call(g, 'PUT', `/${bucket}/o${i}`, body);
    }
    await call(g, 'PUT', '/policed?policy', Buffer.from(twentyStatements('policed')));
    const round = (bucket: string): Promise<number> =>
      concurrent(OPS, async (i, w) => {
        const path = `/${bucket}/o${i % OBJECTS}`;
        const headers = g.signer.sign({
          method: 'GET',
          url: `${g.url}${path}`,
          payloadHash: 'UNSIGNED-PAYLOAD',
        });
        const reply = await conns[w]!.request('GET', path, headers);
        if (reply.status !== 200 || reply.length !== 1024) throw new Error(`GET ${path}: ${reply.status}`);
      });
    await round('plain');
    await round('policed');
    let plain = 0;
    let policed = 0;
    for (let r = 0; r < ROUNDS; r++) {
      plain = Math.max(plain, await round('plain'));
      policed = Math.max(policed, await round('policed'));
    }
    const cost = await checkCost();
    return [
      {
        name: 'access check of a GET, in process, 20-statement policy (best of 3)',
        value: Math.round(cost.policed),
        unit: 'ns',
        peer: { name: 'no policy', value: Math.round(cost.plain) },
      },
      {
        name: `s3 GET 1 KiB with a 20-statement bucket policy x${CONCURRENCY} (best of ${ROUNDS})`,
        value: policed,
        unit: 'ops/s',
        peer: { name: 'no policy', value: plain },
        ratio: policed / plain,
        goal: '>= 0.95 of no policy',
      },
    ];
  } finally {
    await Promise.all(conns.map((c) => c.close()));
    await g.close();
  }
}
