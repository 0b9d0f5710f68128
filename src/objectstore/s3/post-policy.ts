import { ObjectStoreError } from '../errors.js';

/**
 * POST Object's policy document (browser uploads): the base64 JSON a form carries, with its
 * `expiration` and `conditions`, checked against the form's fields as S3 checks them. Field names
 * are case-insensitive (conditions name them `$Content-Type` or `$content-type` alike), values are
 * compared exactly; every field but the signature's, `policy`, `file` and `x-ignore-*` must be
 * named by some condition. No I/O.
 */

/** One condition: a field's value equal to, or starting with, a string. */
interface FieldCondition {
  field: string;
  op: 'eq' | 'starts-with';
  value: string;
  /** As S3 writes it in the error message: `["eq", "$key", "a"]`. */
  text: string;
}

/** A parsed policy document. */
export interface PostPolicy {
  /** When the policy stops being accepted (ms since the epoch). */
  expiration: number;
  conditions: FieldCondition[];
  /** `content-length-range`: the file's size must lie within it (inclusive). */
  minSize: number;
  maxSize: number;
}

/** Form fields a policy never has to name. */
function exempt(field: string): boolean {
  return (
    field === 'policy' ||
    field === 'x-amz-signature' ||
    field === 'signature' ||
    field === 'awsaccesskeyid' ||
    field === 'file' ||
    field.startsWith('x-ignore-')
  );
}

function invalid(why: string): ObjectStoreError {
  return new ObjectStoreError('InvalidPolicyDocument', `Invalid Policy: ${why}`);
}

function size(value: unknown, what: string): number {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw invalid(`Invalid content-length-range ${what} value: ${JSON.stringify(value)}`);
  return n;
}

function fieldCondition(op: string, name: unknown, value: unknown, raw: string): FieldCondition {
  if (op !== 'eq' && op !== 'starts-with') throw invalid(`Invalid condition operator: ${JSON.stringify(op)}`);
  if (typeof name !== 'string' || !name.startsWith('$') || typeof value !== 'string')
    throw invalid(`Invalid condition: ${raw}`);
  const text = `[${[op, name, value].map((s) => JSON.stringify(s)).join(', ')}]`;
  return { field: name.slice(1).toLowerCase(), op, value, text };
}

/**
 * Decodes and validates a policy (InvalidPolicyDocument for bad base64 or JSON, a missing or
 * malformed expiration or conditions, an unknown operator) and refuses one that has expired by
 * `now` (AccessDenied, as S3).
 */
export function parsePostPolicy(base64: string, now: number): PostPolicy {
  let doc: unknown;
  try {
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(base64)) throw new SyntaxError('not base64');
    doc = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    throw invalid('Invalid JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('Invalid JSON.');
  const { expiration, conditions } = doc as Record<string, unknown>;
  if (expiration === undefined) throw invalid('Policy missing expiration.');
  const expires = typeof expiration === 'string' ? Date.parse(expiration) : NaN;
  if (Number.isNaN(expires)) throw invalid(`Invalid 'expiration' value: ${JSON.stringify(expiration)}`);
  if (conditions === undefined) throw invalid('Policy missing conditions.');
  if (!Array.isArray(conditions)) throw invalid("Invalid 'conditions' value: must be a list.");
  const policy: PostPolicy = { expiration: expires, conditions: [], minSize: 0, maxSize: Infinity };
  for (const c of conditions) {
    const text = JSON.stringify(c);
    if (Array.isArray(c)) {
      const [op, a, b] = c as unknown[];
      if (c.length !== 3 || typeof op !== 'string') throw invalid(`Invalid condition: ${text}`);
      if (op.toLowerCase() === 'content-length-range') {
        policy.minSize = size(a, 'minimum');
        policy.maxSize = size(b, 'maximum');
      } else policy.conditions.push(fieldCondition(op.toLowerCase(), a, b, text));
    } else if (typeof c === 'object' && c !== null) {
      const entries = Object.entries(c as Record<string, unknown>);
      if (entries.length !== 1) throw invalid(`Invalid condition: ${text}`);
      const [name, value] = entries[0]!;
      policy.conditions.push(fieldCondition('eq', `$${name}`, value, text));
    } else throw invalid(`Invalid condition: ${text}`);
  }
  if (now > policy.expiration)
    throw new ObjectStoreError('AccessDenied', 'Invalid according to Policy: Policy expired.');
  return policy;
}

/**
 * Checks a form's fields (lowercase names; `bucket` and the final `key` included) against the
 * policy's conditions: AccessDenied naming the first condition that fails, or the fields that no
 * condition names.
 */
export function checkPostPolicy(policy: PostPolicy, fields: ReadonlyMap<string, string>): void {
  const named = new Set<string>();
  for (const c of policy.conditions) {
    named.add(c.field);
    const actual = fields.get(c.field) ?? '';
    const holds = c.op === 'eq' ? actual === c.value : actual.startsWith(c.value);
    if (!holds)
      throw new ObjectStoreError(
        'AccessDenied',
        `Invalid according to Policy: Policy Condition failed: ${c.text}`,
      );
  }
  const extra = [...fields.keys()].filter((f) => f !== 'bucket' && !exempt(f) && !named.has(f));
  if (extra.length > 0)
    throw new ObjectStoreError(
      'AccessDenied',
      `Invalid according to Policy: Extra input fields: ${extra.join(', ')}`,
    );
}
