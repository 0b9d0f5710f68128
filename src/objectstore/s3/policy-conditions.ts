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

/** Compiles an expected value once (a pattern, a CIDR, a number) into a test of actual values. */
type Compare = (expected: string) => (actual: string) => boolean;

/**
 * A test of strings against a `*`/`?` wildcard pattern (anchored). The common shapes, an exact
 * string and a prefix followed by one `*`, compare strings instead of running a regular
 * expression: policies are mostly made of them, and they are tested on every request.
 */
export function wildcardTest(pattern: string, ignoreCase: boolean): (s: string) => boolean {
  const star = pattern.indexOf('*');
  if (!pattern.includes('?') && (star < 0 || star === pattern.length - 1)) {
    const fixed = ignoreCase ? pattern.toLowerCase() : pattern;
    if (star < 0) return ignoreCase ? (s) => s.toLowerCase() === fixed : (s) => s === fixed;
    if (star === 0) return () => true;
    const prefix = fixed.slice(0, -1);
    return ignoreCase ? (s) => s.toLowerCase().startsWith(prefix) : (s) => s.startsWith(prefix);
  }
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

/** The last address parsed, and its value: requests come from few addresses, each tested against several CIDRs. */
let lastAddress: { text: string; ip: string; value: number | undefined } = {
  text: '',
  ip: '',
  value: undefined,
};

/** An address (IPv4, IPv4-mapped IPv6 or IPv6) as its IPv4 text and value (undefined for IPv6). */
function parsedAddress(address: string): { ip: string; value: number | undefined } {
  if (lastAddress.text !== address) {
    const ip = address.startsWith('::ffff:') ? address.slice(7) : address;
    lastAddress = { text: address, ip, value: parseIpv4(ip) };
  }
  return lastAddress;
}

/** A test of addresses against a CIDR block (IPv4, or an exact IPv6 address), parsed once. */
function cidrTest(cidr: string): (address: string) => boolean {
  const [net, bitsText] = cidr.split('/');
  const n = parseIpv4(net ?? '');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (address) => {
    const { ip, value: a } = parsedAddress(address);
    if (a === undefined || n === undefined) return ip.toLowerCase() === (net ?? '').toLowerCase();
    if (!(bits >= 0 && bits <= 32)) return false;
    return (a & mask) >>> 0 === (n & mask) >>> 0;
  };
}

/** Whether an address is in a CIDR block (IPv4, or an exact IPv6 address). */
export function ipInCidr(address: string, cidr: string): boolean {
  return cidrTest(cidr)(address);
}

const num = (s: string): number => (/^-?\d+(\.\d+)?$/.test(s.trim()) ? Number(s) : NaN);
const date = (s: string): number => (/^\d+$/.test(s) ? Number(s) * 1000 : Date.parse(s));

const equal: Compare = (e) => (a) => a === e;
const byNumber =
  (cmp: (a: number, e: number) => boolean): Compare =>
  (e) => {
    const expected = num(e);
    return (a) => cmp(num(a), expected);
  };
const byDate =
  (cmp: (a: number, e: number) => boolean): Compare =>
  (e) => {
    const expected = date(e);
    return (a) => cmp(date(a), expected);
  };
const ignoringCase: Compare = (e) => {
  const expected = e.toLowerCase();
  return (a) => a.toLowerCase() === expected;
};
const like: Compare = (e) => wildcardTest(e, false);

const COMPARES: Record<string, { test: Compare; negated?: boolean }> = {
  StringEquals: { test: equal },
  StringNotEquals: { test: equal, negated: true },
  StringEqualsIgnoreCase: { test: ignoringCase },
  StringNotEqualsIgnoreCase: { test: ignoringCase, negated: true },
  StringLike: { test: like },
  StringNotLike: { test: like, negated: true },
  NumericEquals: { test: byNumber((a, e) => a === e) },
  NumericNotEquals: { test: byNumber((a, e) => a === e), negated: true },
  NumericLessThan: { test: byNumber((a, e) => a < e) },
  NumericLessThanEquals: { test: byNumber((a, e) => a <= e) },
  NumericGreaterThan: { test: byNumber((a, e) => a > e) },
  NumericGreaterThanEquals: { test: byNumber((a, e) => a >= e) },
  DateEquals: { test: byDate((a, e) => a === e) },
  DateNotEquals: { test: byDate((a, e) => a === e), negated: true },
  DateLessThan: { test: byDate((a, e) => a < e) },
  DateLessThanEquals: { test: byDate((a, e) => a <= e) },
  DateGreaterThan: { test: byDate((a, e) => a > e) },
  DateGreaterThanEquals: { test: byDate((a, e) => a >= e) },
  Bool: { test: ignoringCase },
  IpAddress: { test: cidrTest },
  NotIpAddress: { test: cidrTest, negated: true },
  ArnEquals: { test: equal },
  ArnNotEquals: { test: equal, negated: true },
  ArnLike: { test: like },
  ArnNotLike: { test: like, negated: true },
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
  const tests = values.map((e) => compare.test(e));
  const one = (actual: string): boolean => {
    for (const t of tests) if (t(actual)) return true;
    return false;
  };
  return (r) => {
    const got = r.key(name);
    if (got === undefined) {
      if (set === 'all') return true;
      // A missing key fails a positive test and passes a negated one (as AWS evaluates them).
      return ifExists || compare.negated === true;
    }
    // One value (nearly every key): no array per request.
    if (typeof got === 'string') return one(got) !== (compare.negated === true);
    const actuals = got;
    if (set === 'all') return actuals.every((a) => one(a) !== (compare.negated === true));
    const hit = actuals.some(one);
    return compare.negated === true ? !hit : hit;
  };
}
