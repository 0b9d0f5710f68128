import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { AwsChunkedDecoder } from './chunked-decoder.js';
import { signingKey, signChunk, signTrailer, sha256Hex } from './sigv4-signer.js';
import { ObjectStoreError } from '../errors.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const cred = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', date: '20130524', region: 'us-east-1', service: 's3' };
const scope = '20130524/us-east-1/s3/aws4_request';
const key = signingKey(SECRET, cred);
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';

async function decode(body: Buffer, decoder: AwsChunkedDecoder, pieceSize = 7): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < body.length; i += pieceSize) pieces.push(body.subarray(i, i + pieceSize));
  const out: Buffer[] = [];
  for await (const c of Readable.from(pieces).pipe(decoder)) out.push(c as Buffer);
  return Buffer.concat(out);
}

test('the chunked upload example of the AWS documentation verifies chunk by chunk', async () => {
  const c1 = Buffer.alloc(65536, 'a');
  const c2 = Buffer.alloc(1024, 'a');
  const s1 = signChunk(key, '20130524T000000Z', scope, SEED, sha256Hex(c1));
  assert.equal(s1, 'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648');
  const s2 = signChunk(key, '20130524T000000Z', scope, s1, sha256Hex(c2));
  assert.equal(s2, '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497');
  const s3 = signChunk(key, '20130524T000000Z', scope, s2, sha256Hex(''));
  assert.equal(s3, 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9');
  const body = Buffer.concat([
    Buffer.from(`10000;chunk-signature=${s1}\r\n`),
    c1,
    Buffer.from('\r\n'),
    Buffer.from(`400;chunk-signature=${s2}\r\n`),
    c2,
    Buffer.from('\r\n'),
    Buffer.from(`0;chunk-signature=${s3}\r\n\r\n`),
  ]);
  assert.equal(body.length, 66824);
  const signing = { key, amzDate: '20130524T000000Z', scope, seedSignature: SEED };
  const out = await decode(
    body,
    new AwsChunkedDecoder({ signing, trailer: false, decodedLength: 66560 }),
    1000,
  );
  assert.equal(out.length, 66560);
  const tampered = Buffer.from(body);
  tampered[200] = 'b'.charCodeAt(0);
  await assert.rejects(
    decode(tampered, new AwsChunkedDecoder({ signing, trailer: false })),
    (e: unknown) => e instanceof ObjectStoreError && e.code === 'SignatureDoesNotMatch',
  );
});

test('a signed trailer is verified and its checksum collected', async () => {
  const data = Buffer.from('hello world');
  const date = '20130524T000000Z';
  const s1 = signChunk(key, date, scope, SEED, sha256Hex(data));
  const s2 = signChunk(key, date, scope, s1, sha256Hex(''));
  const trailer = 'x-amz-checksum-crc32:DUoRhQ==\n';
  const ts = signTrailer(key, date, scope, s2, trailer);
  const body = Buffer.from(
    `b;chunk-signature=${s1}\r\nhello world\r\n0;chunk-signature=${s2}\r\nx-amz-checksum-crc32:DUoRhQ==\r\nx-amz-trailer-signature:${ts}\r\n\r\n`,
  );
  const d = new AwsChunkedDecoder({
    signing: { key, amzDate: date, scope, seedSignature: SEED },
    trailer: true,
  });
  assert.equal((await decode(body, d, 3)).toString(), 'hello world');
  assert.equal(d.trailers.get('x-amz-checksum-crc32'), 'DUoRhQ==');
  const bad = Buffer.from(body.toString().replace('DUoRhQ==', 'AAAAAA=='));
  await assert.rejects(
    decode(
      bad,
      new AwsChunkedDecoder({ signing: { key, amzDate: date, scope, seedSignature: SEED }, trailer: true }),
    ),
    /trailer signature/,
  );
});

test('unsigned trailer bodies decode; truncated and malformed ones fail', async () => {
  const body = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
  const d = new AwsChunkedDecoder({ trailer: true, decodedLength: 11 });
  assert.equal((await decode(body, d, 1)).toString(), 'hello world');
  assert.equal(d.trailers.get('x-amz-checksum-crc32'), 'DUoRhQ==');
  await assert.rejects(
    decode(body.subarray(0, 20), new AwsChunkedDecoder({ trailer: true })),
    (e: unknown) => e instanceof ObjectStoreError && e.code === 'IncompleteBody',
  );
  await assert.rejects(
    decode(Buffer.from('zz\r\nhello\r\n'), new AwsChunkedDecoder({ trailer: true })),
    (e: unknown) => e instanceof ObjectStoreError && e.code === 'InvalidRequest',
  );
  await assert.rejects(
    decode(Buffer.from('3\r\nhello\r\n0\r\n\r\n'), new AwsChunkedDecoder({ trailer: false })),
    (e: unknown) => e instanceof ObjectStoreError,
  );
  await assert.rejects(
    decode(body, new AwsChunkedDecoder({ trailer: true, decodedLength: 12 })),
    /x-amz-decoded-content-length/,
  );
});
