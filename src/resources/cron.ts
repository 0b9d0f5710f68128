import { InvalidCronError } from './errors.js';

/**
 * A parsed cron schedule, as Kubernetes' CronJob controller reads one (robfig/cron's
 * `ParseStandard`): five fields (minute hour day-of-month month day-of-week) with ranges,
 * steps, lists and names (`JAN`, `mon-fri`), `?` for `*`, descriptors (`@hourly`, `@daily`,
 * `@weekly`, `@monthly`, `@yearly`, `@every 1h30m`), and a `CRON_TZ=` or `TZ=` prefix or the
 * `timeZone` option for the zone the fields are read in (default UTC).
 */
export interface CronSchedule {
  /** The schedule text as given. */
  readonly source: string;
  /** The IANA time zone the fields are read in. */
  readonly timeZone: string;
  /** The first activation strictly after `after` (ms since the epoch), or undefined if none within 5 years. */
  next(after: number): number | undefined;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  min: number;
  max: number;
  names?: string[];
  namesBase?: number;
}

const FIELDS: FieldSpec[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, namesBase: 1 },
  { min: 0, max: 6, names: DAYS, namesBase: 0 },
];

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Whether the runtime knows an IANA time zone name. */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone !== '' && zone.toLowerCase() !== 'local';
  } catch {
    return false;
  }
}

function parseNumber(text: string, spec: FieldSpec, schedule: string): number {
  const lower = text.toLowerCase();
  const i = spec.names?.indexOf(lower) ?? -1;
  if (i >= 0) return i + (spec.namesBase ?? 0);
  if (!/^\d+$/.test(text)) throw new InvalidCronError(schedule, `failed to parse int from ${text}`);
  return Number(text);
}

/** One field to the set of values it allows, and whether it was `*`/`?` (for the day rule). */
function parseField(text: string, spec: FieldSpec, schedule: string): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const [rangePart, stepPart, extra] = part.split('/');
    if (extra !== undefined || rangePart === undefined || rangePart === '') {
      throw new InvalidCronError(schedule, `invalid field: ${part}`);
    }
    let lo: number;
    let hi: number;
    if (rangePart === '*' || rangePart === '?') {
      lo = spec.min;
      hi = spec.max;
      if (stepPart === undefined) star = true;
    } else {
      const bounds = rangePart.split('-');
      if (bounds.length > 2) throw new InvalidCronError(schedule, `too many hyphens: ${rangePart}`);
      lo = parseNumber(bounds[0]!, spec, schedule);
      hi =
        bounds.length === 2
          ? parseNumber(bounds[1]!, spec, schedule)
          : stepPart !== undefined
            ? spec.max
            : lo;
    }
    let step = 1;
    if (stepPart !== undefined) {
      if (!/^\d+$/.test(stepPart))
        throw new InvalidCronError(schedule, `failed to parse int from ${stepPart}`);
      step = Number(stepPart);
      if (step === 0)
        throw new InvalidCronError(schedule, `step of range should be a positive number: ${part}`);
    }
    if (lo < spec.min)
      throw new InvalidCronError(schedule, `beginning of range (${lo}) below minimum (${spec.min}): ${part}`);
    if (hi > spec.max)
      throw new InvalidCronError(schedule, `end of range (${hi}) above maximum (${spec.max}): ${part}`);
    if (lo > hi)
      throw new InvalidCronError(schedule, `beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star };
}

/** A Go duration (`1h30m`, `90s`, `500ms`) in milliseconds. */
function parseGoDuration(text: string, schedule: string): number {
  const units: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 0.001,
    µs: 0.001,
    ns: 1e-6,
  };
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (text === '' || pos !== text.length)
    throw new InvalidCronError(schedule, `failed to parse duration ${text}`);
  return total;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's UTC offset in ms at an instant: wall time minus UTC. */
function offsetAt(ms: number, zone: string): number {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 0;
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instants at which a wall-clock minute occurs in a zone: none in a DST gap, two in an overlap. */
function wallToInstants(wall: number, zone: string): number[] {
  const out = new Set<number>();
  for (const probe of [wall - 14 * 3_600_000, wall, wall + 14 * 3_600_000]) {
    const t = wall - offsetAt(probe, zone);
    if (t + offsetAt(t, zone) === wall) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Parses a cron schedule. Throws InvalidCronError (code `CRON_INVALID`) with robfig/cron's
 * reason (`expected exactly 5 fields, found 3: [* * *]`) when it does not parse, or when the
 * time zone is unknown.
 */
export function parseCron(schedule: string, options: { timeZone?: string } = {}): CronSchedule {
  let text = schedule.trim();
  let zone = options.timeZone ?? 'UTC';
  const tz = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(text);
  if (tz) {
    zone = tz[1]!;
    text = text.slice(tz[0].length).trim();
  }
  if (!isValidTimeZone(zone))
    throw new InvalidCronError(schedule, `provided bad location ${zone}: unknown time zone ${zone}`);
  if (text.startsWith('@every ')) {
    const every = parseGoDuration(text.slice('@every '.length).trim(), schedule);
    if (every < 1000) throw new InvalidCronError(schedule, 'delay must be at least one second');
    const step = Math.floor(every / 1000) * 1000;
    return { source: schedule, timeZone: zone, next: (after) => Math.floor(after / 1000) * 1000 + step };
  }
  if (text.startsWith('@')) {
    const expanded = DESCRIPTORS[text.toLowerCase()];
    if (!expanded) throw new InvalidCronError(schedule, `unrecognized descriptor: ${text}`);
    text = expanded;
  }
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) {
    throw new InvalidCronError(
      schedule,
      `expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`,
    );
  }
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!, schedule)) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];
  const minutes = [...minute.values].sort((a, b) => a - b);
  const hours = [...hour.values].sort((a, b) => a - b);
  const dayMatches = (y: number, m: number, d: number): boolean => {
    if (!month.values.has(m + 1)) return false;
    const domOk = dom.values.has(d);
    const dowOk = dow.values.has(new Date(Date.UTC(y, m, d)).getUTCDay());
    return dom.star || dow.star ? domOk && dowOk : domOk || dowOk;
  };
  const next = (after: number): number | undefined => {
    const startWall = new Date(after + offsetAt(after, zone));
    let day =
      Date.UTC(startWall.getUTCFullYear(), startWall.getUTCMonth(), startWall.getUTCDate()) - 86_400_000;
    for (let i = 0; i < 366 * 5 + 2; i++, day += 86_400_000) {
      const dt = new Date(day);
      if (!dayMatches(dt.getUTCFullYear(), dt.getUTCMonth(), dt.getUTCDate())) continue;
      for (const h of hours) {
        for (const mi of minutes) {
          // In a fall-back overlap only the first occurrence counts, so a job never runs twice.
          const first = wallToInstants(day + h * 3_600_000 + mi * 60_000, zone)[0];
          if (first !== undefined && first > after) return first;
        }
      }
    }
    return undefined;
  };
  return { source: schedule, timeZone: zone, next };
}
