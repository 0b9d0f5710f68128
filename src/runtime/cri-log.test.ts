import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatLogLine,
  formatTimestamp,
  parseLogLine,
  renderRecord,
  selectRecords,
  type LogRecord,
} from './cri-log.js';

test('timestamps are RFC 3339 with nanoseconds', () => {
  assert.equal(formatTimestamp(1767225600123456789n), '2026-01-01T00:00:00.123456789Z');
  assert.equal(formatTimestamp(1767225600000000001n), '2026-01-01T00:00:00.000000001Z');
});

test('a log line round-trips, content spaces included', () => {
  const line = formatLogLine('2026-01-01T00:00:00.000000001Z', 'stderr', false, 'a  b c');
  assert.equal(line, '2026-01-01T00:00:00.000000001Z stderr F a  b c\n');
  assert.deepEqual(parseLogLine(line.trimEnd()), {
    time: '2026-01-01T00:00:00.000000001Z',
    timeMs: Date.UTC(2026, 0, 1),
    stream: 'stderr',
    partial: false,
    content: 'a  b c',
  });
  assert.equal(parseLogLine('garbage'), undefined);
  assert.equal(parseLogLine('2026-01-01T00:00:00Z stdin F x'), undefined);
});

function rec(sec: number, content: string, partial = false): LogRecord {
  const time = new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString();
  return { time, timeMs: Date.parse(time), stream: 'stdout', partial, content };
}

test('tailLines counts lines, a split line once; since filters by time', () => {
  const records = [rec(1, 'a'), rec(2, 'b1', true), rec(2, 'b2'), rec(3, 'c')];
  assert.deepEqual(
    selectRecords(records, { tailLines: 2 }).map((r) => r.content),
    ['b1', 'b2', 'c'],
  );
  assert.deepEqual(selectRecords(records, { tailLines: 0 }), []);
  assert.equal(selectRecords(records, { tailLines: 10 }).length, 4);
  assert.deepEqual(
    selectRecords(records, { sinceMs: Date.UTC(2026, 0, 1, 0, 0, 3) }).map((r) => r.content),
    ['c'],
  );
  assert.equal(records.map((r) => renderRecord(r, false)).join(''), 'a\nb1b2\nc\n');
  assert.equal(renderRecord(rec(1, 'a'), true), '2026-01-01T00:00:01.000Z a\n');
});
