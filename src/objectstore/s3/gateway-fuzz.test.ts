import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startTestGateway, type TestGateway } from './test-gateway.js';
import { signRequest } from './sigv4-signer.js';
import { uriEncode } from './sigv4.js';
import { rawRequest, type RawResponse } from './test-http.js';
import { parseXml, childText } from './xml.js';

/** mulberry32: a small seeded PRNG so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20260101);
const ROUNDS = 400;

function checkReply(r: RawResponse, method: string, what: string): void {
  assert.ok(
    r.status < 500 || r.status === 501,
    `${what}: status ${r.status} ${r.body.toString().slice(0, 300)}`,
  );
  if (r.status >= 400 && method !== 'HEAD') {
    const root = parseXml(r.body.toString('utf8'));
    assert.equal(root.name, 'Error', what);
    assert.ok(childText(root, 'Code'), `${what}: an error has a Code`);
    assert.ok(childText(root, 'RequestId') !== undefined, `${what}: an error has a RequestId`);
  }
}

test('fuzz: malformed XML, headers, signatures, ranges and odd keys never crash the gateway', async () => {
  const g: TestGateway = await startTestGateway();
  const rand = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const int = (n: number): number => Math.floor(rand() * n);
  const creds = { accessKeyId: g.key.accessKeyId, secretAccessKey: g.key.secretAccessKey };
  const signed = async (
    method: string,
    path: string,
    body?: Buffer | string,
    headers: Record<string, string> = {},
    payloadHash?: string,
  ): Promise<RawResponse> => {
    const url = `${g.url}${path}`;
    const h = signRequest(
      {
        method,
        url,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(payloadHash === undefined ? {} : { payloadHash }),
      },
      creds,
    );
    return rawRequest(url, { method, headers: h, ...(body === undefined ? {} : { body }) });
  };
  const randomText = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) {
      const r = rand();
      s +=
        r < 0.6
          ? String.fromCharCode(32 + int(95))
          : r < 0.8
            ? String.fromCharCode(1 + int(31))
            : r < 0.95
              ? String.fromCodePoint(0xa0 + int(0x2000))
              : String.fromCodePoint(0x1f600 + int(50));
    }
    return s;
  };
  const xmlDocs = [
    '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"x"</ETag></Part></CompleteMultipartUpload>',
    '<Delete><Object><Key>a</Key></Object><Quiet>true</Quiet></Delete>',
    '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>',
    '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>',
    '<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>',
  ];
  const mutateXml = (doc: string): string => {
    switch (int(6)) {
      case 0:
        return doc.slice(0, int(doc.length));
      case 1:
        return doc.replace(/>[^<]*</, `>${randomText(8)}<`);
      case 2:
        return '<a>'.repeat(50 + int(100));
      case 3:
        return `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${doc}`;
      case 4:
        return randomText(int(200));
      default:
        return doc.replace('</', `<${randomText(3)}/></`);
    }
  };
  try {
    assert.equal((await signed('PUT', '/fuzz')).status, 200);
    const upload = await signed('POST', '/fuzz/mp?uploads');
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(upload.body.toString())?.[1] ?? 'none';
    assert.equal((await signed('PUT', '/fuzz/obj', 'x'.repeat(100))).status, 200);
    for (let round = 0; round < ROUNDS; round++) {
      const kind = int(6);
      const what = `seed ${SEED} round ${round} kind ${kind}`;
      await fuzzRound(kind, what).catch((err: unknown) => {
        throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
      });
    }
    async function fuzzRound(kind: number, what: string): Promise<void> {
      if (kind === 0) {
        const doc = mutateXml(pick(xmlDocs));
        const target = pick([
          `/fuzz/mp?uploadId=${uploadId}`,
          '/fuzz?delete',
          '/fuzz?cors',
          '/fuzz?versioning',
          '/fuzz/obj?tagging',
        ]);
        const method = target.includes('uploadId') || target.includes('delete') ? 'POST' : 'PUT';
        const md5 = createHash('md5').update(doc).digest('base64');
        checkReply(await signed(method, target, doc, { 'content-md5': md5 }), method, what);
      } else if (kind === 1) {
        const header = pick([
          'range',
          'if-match',
          'if-none-match',
          'if-modified-since',
          'if-unmodified-since',
          'x-amz-checksum-mode',
          'x-amz-copy-source',
          'x-amz-tagging',
          'x-amz-checksum-crc32',
          'content-md5',
          'x-amz-trailer',
          'x-amz-decoded-content-length',
          'x-amz-metadata-directive',
        ]);
        const value = pick([
          `bytes=${int(200)}-${int(200)}`,
          `bytes=-${int(300)}`,
          'bytes=abc',
          '*',
          '"x"',
          randomText(int(30)).replace(/[^\x20-\x7e]/g, ''),
          'Thu, 01 Jan 1970 00:00:00 GMT',
          '/fuzz/obj',
          'fuzz/../obj',
          String(int(1e6)),
        ]);
        if (rand() < 0.2) {
          const param = pick([
            'response-content-type',
            'response-content-disposition',
            'response-expires',
            'versionId',
            'partNumber',
          ]);
          const r = await signed('GET', `/fuzz/obj?${param}=${uriEncode(randomText(int(20)), false)}`);
          checkReply(r, 'GET', `${what} ${param}`);
          return;
        }
        const method = pick(['GET', 'HEAD', 'PUT']);
        const body = method === 'PUT' ? 'body' : undefined;
        checkReply(
          await signed(
            method,
            pick(['/fuzz/obj', '/fuzz/new', '/fuzz/mp?partNumber=1&uploadId=' + uploadId]),
            body,
            { [header]: value },
          ),
          method,
          `${what} ${header}: ${value}`,
        );
      } else if (kind === 2) {
        const h = signRequest({ method: 'GET', url: `${g.url}/fuzz/obj` }, creds);
        const auth = h.authorization ?? '';
        const i = int(auth.length);
        h.authorization = pick([
          auth.slice(0, i),
          auth.slice(0, i) + randomText(3).replace(/[^\x20-\x7e]/g, '') + auth.slice(i + 1),
          auth.replace('Signature=', 'Signature=0'),
          'AWS ' + auth,
          '',
        ]);
        if (rand() < 0.3) h['x-amz-date'] = pick(['garbage', '20260101T000000Z', '']);
        const r = await rawRequest(`${g.url}/fuzz/obj`, { headers: h });
        checkReply(r, 'GET', `${what} auth ${h.authorization}`);
        assert.ok(r.status >= 400, `${what}: a mangled signature never succeeds`);
      } else if (kind === 3) {
        const key = randomText(1 + int(60)).replace(/[\ud800-\udfff]/g, '');
        const put = await signed('PUT', `/fuzz/${uriEncode(key, true)}`, key);
        checkReply(put, 'PUT', `${what} key ${JSON.stringify(key)}`);
        if (put.status === 200) {
          const got = await signed('GET', `/fuzz/${uriEncode(key, true)}`);
          assert.equal(got.body.toString(), key, `${what}: key ${JSON.stringify(key)} reads back`);
          const list = await signed(
            'GET',
            `/fuzz?list-type=2&encoding-type=url&prefix=${uriEncode(key, false)}`,
          );
          const listed = [...list.body.toString().matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) =>
            decodeURIComponent(m[1] ?? ''),
          );
          assert.ok(listed.includes(key), `${what}: key ${JSON.stringify(key)} is listed`);
          checkReply(await signed('DELETE', `/fuzz/${uriEncode(key, true)}`), 'DELETE', what);
        }
      } else if (kind === 4) {
        const path = pick([
          '/fuzz/%zz',
          '/fuzz/%c3%28',
          '/%',
          '/fuzz/a%00b',
          '//',
          '/fuzz//x',
          '/fuzz/' + 'é'.repeat(int(10)),
        ]);
        const method = pick(['GET', 'PUT', 'DELETE', 'HEAD', 'POST', 'PATCH', 'OPTIONS']);
        const r = await rawRequest(g.url, { method, path: path.replace(/é/g, '%C3%A9') });
        checkReply(r, method, `${what} path ${path}`);
      } else {
        const size = pick([1024, 1025]);
        const key = 'k'.repeat(size - 2) + pick(['éa', 'ab']).slice(0, 2);
        const bytes = Buffer.byteLength(key);
        const r = await signed('PUT', `/fuzz/${uriEncode(key, true)}`, 'v');
        checkReply(r, 'PUT', what);
        if (bytes > 1024)
          assert.match(r.body.toString(), /<Code>KeyTooLongError<\/Code>/, `${what}: ${bytes}-byte key`);
        else assert.equal(r.status, 200, `${what}: ${bytes}-byte key`);
      }
    }
    const garbageChunked = await signed(
      'PUT',
      '/fuzz/chunked',
      '5\r\nhello\r\nzz\r\n',
      { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '10' },
      'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
    );
    checkReply(garbageChunked, 'PUT', 'garbage aws-chunked body');
    assert.equal(
      (await signed('HEAD', '/fuzz/chunked')).status,
      404,
      'a broken aws-chunked body stores nothing',
    );
    assert.equal((await signed('GET', '/')).status, 200, 'the gateway still serves');
  } finally {
    await g.close();
  }
});
