import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCron } from './cron.js';
import { InvalidCronError } from './errors.js';

const iso = (ms: number | undefined): string => (ms === undefined ? 'none' : new Date(ms).toISOString());
const at = (s: string): number => Date.parse(s);

/** The next `n` activations after `from`. */
function series(schedule: string, from: string, n: number, timeZone?: string): string[] {
  const s = parseCron(schedule, timeZone ? { timeZone } : {});
  const out: string[] = [];
  let t: number | undefined = at(from);
  for (let i = 0; i < n && t !== undefined; i++) {
    t = s.next(t);
    out.push(iso(t));
  }
  return out;
}

test('every minute and steps', () => {
  assert.deepEqual(series('* * * * *', '2026-01-01T00:00:30Z', 2), [
    '2026-01-01T00:01:00.000Z',
    '2026-01-01T00:02:00.000Z',
  ]);
  assert.deepEqual(series('*/15 * * * *', '2026-01-01T00:00:00Z', 3), [
    '2026-01-01T00:15:00.000Z',
    '2026-01-01T00:30:00.000Z',
    '2026-01-01T00:45:00.000Z',
  ]);
  assert.deepEqual(series('5-20/5 3 * * *', '2026-01-01T03:06:00Z', 3), [
    '2026-01-01T03:10:00.000Z',
    '2026-01-01T03:15:00.000Z',
    '2026-01-01T03:20:00.000Z',
  ]);
  assert.deepEqual(series('50/5 * * * *', '2026-01-01T00:00:00Z', 3), [
    '2026-01-01T00:50:00.000Z',
    '2026-01-01T00:55:00.000Z',
    '2026-01-01T01:50:00.000Z',
  ]);
});

test('lists, names and day-of-week', () => {
  // 2026-01-01 is a Thursday.
  assert.deepEqual(series('0 9 * * mon-fri', '2026-01-02T10:00:00Z', 2), [
    '2026-01-05T09:00:00.000Z',
    '2026-01-06T09:00:00.000Z',
  ]);
  assert.deepEqual(series('0 0 1 JAN,jul *', '2026-01-01T00:00:00Z', 2), [
    '2026-07-01T00:00:00.000Z',
    '2027-01-01T00:00:00.000Z',
  ]);
  assert.deepEqual(series('30 6,18 * * ?', '2026-03-10T07:00:00Z', 2), [
    '2026-03-10T18:30:00.000Z',
    '2026-03-11T06:30:00.000Z',
  ]);
});

test('day-of-month and day-of-week both restricted match either (cron OR rule)', () => {
  // The 13th, or any Friday: 2026-02-06 is a Friday, the 13th is also a Friday.
  assert.deepEqual(series('0 0 13 * 5', '2026-02-01T00:00:00Z', 3), [
    '2026-02-06T00:00:00.000Z',
    '2026-02-13T00:00:00.000Z',
    '2026-02-20T00:00:00.000Z',
  ]);
});

test('leap days come once in four years', () => {
  assert.deepEqual(series('0 0 29 2 *', '2026-01-01T00:00:00Z', 1), ['2028-02-29T00:00:00.000Z']);
  assert.deepEqual(series('0 0 30 2 *', '2026-01-01T00:00:00Z', 1), ['none']);
});

test('descriptors and @every', () => {
  assert.deepEqual(series('@hourly', '2026-01-01T00:10:00Z', 1), ['2026-01-01T01:00:00.000Z']);
  assert.deepEqual(series('@daily', '2026-01-01T00:10:00Z', 1), ['2026-01-02T00:00:00.000Z']);
  assert.deepEqual(series('@weekly', '2026-01-01T00:10:00Z', 1), ['2026-01-04T00:00:00.000Z']);
  assert.deepEqual(series('@monthly', '2026-01-01T00:10:00Z', 1), ['2026-02-01T00:00:00.000Z']);
  assert.deepEqual(series('@yearly', '2026-01-01T00:10:00Z', 1), ['2027-01-01T00:00:00.000Z']);
  assert.deepEqual(series('@every 1h30m', '2026-01-01T00:00:00Z', 2), [
    '2026-01-01T01:30:00.000Z',
    '2026-01-01T03:00:00.000Z',
  ]);
});

test('time zones: option, CRON_TZ= and TZ= prefixes', () => {
  // 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
  assert.deepEqual(series('0 9 * * *', '2026-01-10T00:00:00Z', 1, 'America/New_York'), [
    '2026-01-10T14:00:00.000Z',
  ]);
  assert.deepEqual(series('CRON_TZ=America/New_York 0 9 * * *', '2026-07-10T00:00:00Z', 1), [
    '2026-07-10T13:00:00.000Z',
  ]);
  assert.deepEqual(series('TZ=Asia/Tokyo 0 9 * * *', '2026-07-10T00:00:00Z', 1), [
    '2026-07-11T00:00:00.000Z',
  ]);
  assert.equal(parseCron('TZ=Asia/Tokyo @daily').timeZone, 'Asia/Tokyo');
  assert.equal(parseCron('@daily').timeZone, 'UTC');
});

test('daylight saving: a skipped hour is skipped, a repeated hour runs once', () => {
  // Europe/Berlin springs forward 2026-03-29 02:00 → 03:00 and falls back 2026-10-25 03:00 → 02:00.
  assert.deepEqual(series('30 2 * * *', '2026-03-28T12:00:00Z', 2, 'Europe/Berlin'), [
    '2026-03-30T00:30:00.000Z',
    '2026-03-31T00:30:00.000Z',
  ]);
  assert.deepEqual(series('30 2 * * *', '2026-10-24T12:00:00Z', 2, 'Europe/Berlin'), [
    '2026-10-25T00:30:00.000Z',
    '2026-10-26T01:30:00.000Z',
  ]);
});

test('invalid schedules fail with robfig/cron reasons', () => {
  const reason = (s: string, tz?: string): string => {
    try {
      parseCron(s, tz ? { timeZone: tz } : {});
    } catch (e) {
      assert.ok(e instanceof InvalidCronError);
      assert.equal(e.code, 'CRON_INVALID');
      return String(e.details?.['reason']);
    }
    return 'parsed';
  };
  assert.equal(reason('* * *'), 'expected exactly 5 fields, found 3: [* * *]');
  assert.equal(reason('61 * * * *'), 'end of range (61) above maximum (59): 61');
  assert.equal(reason('0 0 0 * *'), 'beginning of range (0) below minimum (1): 0');
  assert.equal(reason('5-2 * * * *'), 'beginning of range (5) beyond end of range (2): 5-2');
  assert.equal(reason('x * * * *'), 'failed to parse int from x');
  assert.equal(reason('*/0 * * * *'), 'step of range should be a positive number: */0');
  assert.equal(reason('@fortnightly'), 'unrecognized descriptor: @fortnightly');
  assert.equal(
    reason('0 * * * *', 'Mars/Olympus'),
    'provided bad location Mars/Olympus: unknown time zone Mars/Olympus',
  );
  assert.equal(reason('0 0 * * 7'), 'end of range (7) above maximum (6): 7');
});
