import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNdjson } from './ndjson.js';

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  const enc = new TextEncoder();
  for (const p of parts) yield await Promise.resolve(enc.encode(p));
}

test('lines split across chunks, blank lines and a final unterminated line all parse', async () => {
  const out: unknown[] = [];
  for await (const v of parseNdjson(chunks('{"type":"ADD', 'ED","n":1}\n\n{"n":', '2}\n', '{"n":3}')))
    out.push(v);
  assert.deepEqual(out, [{ type: 'ADDED', n: 1 }, { n: 2 }, { n: 3 }]);
});

test('a multi-byte character split between chunks survives', async () => {
  const bytes = new TextEncoder().encode('{"s":"é"}\n');
  async function* split(): AsyncGenerator<Uint8Array> {
    yield await Promise.resolve(bytes.slice(0, 7));
    yield bytes.slice(7);
  }
  const out: unknown[] = [];
  for await (const v of parseNdjson(split())) out.push(v);
  assert.deepEqual(out, [{ s: 'é' }]);
});
