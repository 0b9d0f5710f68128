/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- tests read the document by path */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRegistry } from '../resources/index.js';
import { swaggerDocument } from './openapi-v2.js';
import { encodeSwaggerDocument } from './openapi-v2-proto.js';
import { startTestCluster, type TestCluster } from './testing.js';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
});
after(() => c.close());

/** Top-level fields of a protobuf message: field number → length-delimited payloads. */
function fields(buf: Uint8Array): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  let i = 0;
  const varint = (): number => {
    let n = 0;
    for (let shift = 1; ; shift *= 128) {
      const b = buf[i++] ?? 0;
      n += (b & 0x7f) * shift;
      if (b < 0x80) return n;
    }
  };
  while (i < buf.length) {
    const key = varint();
    assert.equal(key & 7, 2, 'every field of these messages is length-delimited');
    const len = varint();
    const list = out.get(key >> 3) ?? [];
    list.push(buf.subarray(i, i + len));
    out.set(key >> 3, list);
    i += len;
  }
  assert.equal(i, buf.length);
  return out;
}

test('every $ref resolves, and served kinds carry their group-version-kind', () => {
  const doc = swaggerDocument(createRegistry().all(), 'v1.32.0') as any;
  const refs = JSON.stringify(doc).match(/"#\/definitions\/[^"]+"/g) ?? [];
  for (const ref of new Set(refs)) assert.ok(doc.definitions[ref.slice(15, -1)], ref);
  assert.deepEqual(doc.definitions['io.k8s.api.core.v1.ConfigMap']['x-kubernetes-group-version-kind'], [
    { group: '', version: 'v1', kind: 'ConfigMap' },
  ]);
  const containers = doc.definitions['io.k8s.api.core.v1.PodSpec'].properties.containers;
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.ok(patch.consumes.includes('application/strategic-merge-patch+json'));
  const bucketPatch = doc.paths['/apis/storage.stratus.dev/v1/buckets/{name}'].patch;
  assert.ok(!bucketPatch.consumes.includes('application/strategic-merge-patch+json'));
});

test('/openapi/v2 answers JSON, or gnostic protobuf to the Accept header kubectl sends', async () => {
  const json = await c.call('GET', '/openapi/v2');
  assert.equal(json.status, 200);
  assert.equal(json.body.swagger, '2.0');
  const res = await fetch(`${c.url}/openapi/v2`, {
    headers: {
      authorization: `Bearer ${c.server.adminToken}`,
      accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
    },
  });
  assert.equal(res.headers.get('content-type'), 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  const pb = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual(pb, encodeSwaggerDocument(json.body));
  const doc = fields(pb);
  assert.equal(new TextDecoder().decode(doc.get(1)?.[0]), '2.0');
  const definitions = fields(doc.get(9)?.[0] ?? new Uint8Array());
  assert.equal(definitions.get(1)?.length, Object.keys(json.body.definitions).length);
  const etag = res.headers.get('etag') ?? '';
  const again = await fetch(`${c.url}/openapi/v2`, {
    headers: { authorization: `Bearer ${c.server.adminToken}`, 'if-none-match': etag },
  });
  assert.equal(again.status, 304);
});
