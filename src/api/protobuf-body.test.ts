import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtobufObject } from './protobuf-body.js';

function field(n: number, bytes: Uint8Array): Uint8Array {
  return Uint8Array.from([(n << 3) | 2, bytes.length, ...bytes]);
}
const s = (text: string): Uint8Array => new TextEncoder().encode(text);
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

test('reads the protobuf kubectl create sends for a Namespace and a ConfigMap', () => {
  const envelope = (apiVersion: string, kind: string, raw: Uint8Array): Uint8Array =>
    cat(
      Uint8Array.from([0x6b, 0x38, 0x73, 0]),
      field(1, cat(field(1, s(apiVersion)), field(2, s(kind)))),
      field(2, raw),
    );
  const meta = field(1, cat(field(1, s('team-a')), field(11, cat(field(1, s('app')), field(2, s('web'))))));
  assert.deepEqual(decodeProtobufObject(envelope('v1', 'Namespace', meta)), {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team-a', labels: { app: 'web' } },
  });
  const cm = cat(meta, field(2, cat(field(1, s('k')), field(2, s('v')))));
  assert.deepEqual(decodeProtobufObject(envelope('v1', 'ConfigMap', cm)).data, { k: 'v' });
  assert.throws(() => decodeProtobufObject(envelope('v1', 'Node', meta)), /Node/);
  assert.throws(() => decodeProtobufObject(s('{}')), /magic/);
});
