import { ObjectStoreError } from '../errors.js';

/**
 * The condition operators of AWS's policy language, each compiled to a test of one request:
 * String*, Numeric*, Date*, Bool, IpAddress/NotIpAddress, Null and ArnEquals/ArnLike, with the
 * `…IfExists` suffix and the `ForAnyValue:`/`ForAllValues:` set prefixes. Several values of one
 * key match if any does; a negated operator holds when none does. No I/O.
 */

/** What a condition reads of a request: a key's value(s), undefined when the request has none. */
export interface ConditionInput {
  key(name: string): string | readonly string[] | undefined;
}

type Compare = (actual: string, expected: string) => boolean;

function wildcardTest(pattern: string, ignoreCase: boolean): (s: string) => boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
  return (s) => re.test(s);
}

function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Whether an address is in a CIDR block (IPv4, or an exact IPv6 address). */
export function ipInCidr(address: string, cidr: string): boolean {
  const ip = address.startsWith('::ffff:') ? address.slice(7) : address;
  const [net, bitsText] = cidr.split('/');
  const a = parseIpv4(ip);
  const n = parseIpv4(net ?? '');
  if (a === undefined || n === undefined) return ip.toLowerCase() === (net ?? '').toLowerCase();
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (n & mask) >>> 0;
}

const num = (s: string): number => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : NaN);
const date = (s: string): number => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));

const COMPARES: Record<string, { test: Compare; negated?: boolean }> = {
  StringEquals: { test: (a, e) => a === e },
  StringNotEquals: { test: (a, e) => a === e, negated: true },
  StringEqualsIgnoreCase: { test: (a, e) => a.toLowerCase() === e.toLowerCase() },
  StringNotEqualsIgnoreCase: { test: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: true },
  StringLike: { test: (a, e) => wildcardTest(e, false)(a) },
  StringNotLike: { test: (a, e) => wildcardTest(e, false)(a), negated: true },
  NumericEquals: { test: (a, e) => num(a) === num(e) },
  NumericNotEquals: { test: (a, e) => num(a) === num(e), negated: true },
  NumericLessThan: { test: (a, e) => num(a) < num(e) },
  NumericLessThanEquals: { test: (a, e) => num(a) <= num(e) },
  NumericGreaterThan: { test: (a, e) => num(a) > num(e) },
  NumericGreaterThanEquals: { test: (a, e) => num(a) >= num(e) },
  DateEquals: { test: (a, e) => date(a) === date(e) },
  DateNotEquals: { test: (a, e) => date(a) === date(e), negated: true },
  DateLessThan: { test: (a, e) => date(a) < date(e) },
  DateLessThanEquals: { test: (a, e) => date(a) <= date(e) },
  DateGreaterThan: { test: (a, e) => date(a) > date(e) },
  DateGreaterThanEquals: { test: (a, e) => date(a) >= date(e) },
  Bool: { test: (a, e) => a.toLowerCase() === e.toLowerCase() },
  IpAddress: { test: (a, e) => ipInCidr(a, e) },
  NotIpAddress: { test: (a, e) => ipInCidr(a, e), negated: true },
  ArnEquals: { test: (a, e) => a === e },
  ArnNotEquals: { test: (a, e) => a === e, negated: true },
  ArnLike: { test: (a, e) => wildcardTest(e, false)(a) },
  ArnNotLike: { test: (a, e) => wildcardTest(e, false)(a), negated: true },
};

/**
 * Compiles one `Operator: { key: values }` entry. Condition keys are case-insensitive (the
 * request's `key` is asked with the lowercase name); an unknown operator is MalformedPolicy.
 */
export function conditionTest(
  operator: string,
  key: string,
  values: readonly string[],
): (r: ConditionInput) => boolean {
  let op = operator;
  let set: 'any' | 'all' | undefined;
  if (op.startsWith('ForAnyValue:')) {
    set = 'any';
    op = op.slice('ForAnyValue:'.length);
  } else if (op.startsWith('ForAllValues:')) {
    set = 'all';
    op = op.slice('ForAllValues:'.length);
  }
  const ifExists = op.endsWith('IfExists') && op !== 'IfExists';
  if (ifExists) op = op.slice(0, -'IfExists'.length);
  const name = key.toLowerCase();
  if (op === 'Null') {
    const wantAbsent = values.some((v) => v.toLowerCase() === 'true');
    return (r) => (r.key(name) === undefined) === wantAbsent;
  }
  const compare = COMPARES[op];
  if (compare === undefined)
    throw new ObjectStoreError('MalformedPolicy', `Invalid Condition type : ${operator}`);
  const one = (actual: string): boolean => values.some((e) => compare.test(actual, e));
  return (r) => {
    const got = r.key(name);
    if (got === undefined) {
      if (set === 'all') return true;
      // A missing key fails a positive test and passes a negated one (as AWS evaluates them).
      return ifExists || compare.negated === true;
    }
    const actuals = typeof got === 'string' ? [got] : got;
    if (set === 'all') return actuals.every((a) => one(a) !== (compare.negated === true));
    const hit = actuals.some(one);
    return compare.negated === true ? !hit : hit;
  };
}
