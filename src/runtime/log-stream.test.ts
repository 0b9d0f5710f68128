import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogWriter } from './container-log.js';
import { openLogStream } from './log-stream.js';
import { readAll } from './runtime-contract.js';
import type { LogOptions } from './runtime.js';

const MAX_BYTES = 4 * 1024 * 1024;

/** Bytes this process has read through read(2) and friends so far (Linux). */
function bytesRead(): number {
  const m = /^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return Number(m?.[1] ?? NaN);
}

/** Reads a log the way the log endpoint does and says how many bytes the process read meanwhile. */
async function read(dir: string, options: LogOptions): Promise<{ text: string; read: number }> {
  const before = bytesRead();
  const text = await readAll(openLogStream(dir, 0, undefined, options));
  return { text, read: bytesRead() - before };
}

/** Waits (without sleeping) until the wall clock has moved past `ms`. */
function clockPast(ms: number): void {
  while (Date.now() <= ms) {
    // spin: a millisecond or two
  }
}

test('log requests read what they ask for, not every rotated file in full', async (t) => {
  if (!existsSync('/proc/self/io')) return t.skip('needs /proc/self/io to count bytes read');
  const dir = mkdtempSync(join(tmpdir(), 'stratus-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const writer = new LogWriter(dir, 0, { maxBytes: MAX_BYTES, maxFiles: 5 });
  const pad = 'x'.repeat(200);
  let n = 0;
  // About 19 MiB in five files: the oldest lines are rotated away.
  while (n < 80_000) writer.write('stdout', `line ${n++} ${pad}\n`);
  const since = Date.now();
  clockPast(since);
  for (let i = 0; i < 100; i++) writer.write('stdout', `late ${i}\n`);
  writer.write('stderr', `${'L'.repeat(40_000)}\n`); // one line in three partial records
  writer.close();
  assert.equal(readdirSync(dir).length, 5);

  const whole = await read(dir, {});
  const lines = whole.text.trimEnd().split('\n');
  assert.ok(whole.read > 4 * MAX_BYTES, 'a plain request reads the whole log');
  assert.equal(lines.at(-1), 'L'.repeat(40_000));
  assert.equal(lines.at(-2), 'late 99');

  const tail = await read(dir, { tailLines: 3 });
  assert.equal(tail.text, `late 98\nlate 99\n${'L'.repeat(40_000)}\n`, 'a split line counts once');
  assert.ok(tail.read < 256 * 1024, `tailLines=3 read ${tail.read} bytes`);
  assert.equal((await read(dir, { tailLines: 0 })).text, '');
  const across = await read(dir, { tailLines: 30_000 });
  assert.deepEqual(across.text.trimEnd().split('\n'), lines.slice(-30_000), 'a tail may span files');

  const limited = await read(dir, { limitBytes: 100 });
  assert.equal(limited.text, whole.text.slice(0, 100));
  assert.ok(limited.read < 256 * 1024, `limitBytes=100 read ${limited.read} bytes`);

  const recent = await read(dir, { sinceTime: new Date(since + 1).toISOString() });
  assert.deepEqual(recent.text.trimEnd().split('\n'), lines.slice(-101));
  assert.ok(recent.read < MAX_BYTES + 256 * 1024, `sinceTime read ${recent.read} bytes`);
  const both = await read(dir, {
    sinceTime: new Date(since + 1).toISOString(),
    tailLines: 2,
    limitBytes: 12,
  });
  assert.equal(both.text, `late 99\n${'L'.repeat(4)}`);
});

test('a follower gets the history, then every new line once, across a rotation', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-logs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const writer = new LogWriter(dir, 0, { maxBytes: 4096, maxFiles: 3 });
  for (let i = 0; i < 10; i++) writer.write('stdout', `old ${i}\n`);
  const ac = new AbortController();
  const stream = openLogStream(dir, 0, writer, { follow: true, tailLines: 2, signal: ac.signal });
  for (let i = 0; i < 200; i++) writer.write('stdout', `new ${i}\n`);
  writer.close();
  const text = await readAll(stream);
  const want = ['old 8', 'old 9', ...Array.from({ length: 200 }, (_, i) => `new ${i}`)];
  assert.deepEqual(text.trimEnd().split('\n'), want);
});
