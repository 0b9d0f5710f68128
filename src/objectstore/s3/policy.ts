import { ObjectStoreError } from '../errors.js';
import { conditionTest, wildcardTest } from './policy-conditions.js';

/**
 * Bucket policies in AWS's JSON policy language, compiled once when stored (patterns become
 * regular expressions, conditions closures) and then evaluated per request as AWS does within a
 * policy: any matching Deny wins, else any matching Allow, else nothing (the caller falls back
 * to the ACL and ownership). No I/O.
 */

/** What a statement is matched against: who asks, for what action, on what resource. */
export interface PolicyRequest {
  /** The requester's user name; undefined for an anonymous request. */
  user: string | undefined;
  /** The requester's canonical id (CanonicalUser principals); undefined when anonymous. */
  canonicalId: string | undefined;
  /** `s3:GetObject`, … */
  action: string;
  /** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`. */
  resource: string;
  /** A condition key's value(s) for this request (`aws:SourceIp`, `s3:prefix`, …); undefined when absent. */
  key(name: string): string | readonly string[] | undefined;
}

/** The verdict of a policy on a request. */
export type PolicyDecision = 'Allow' | 'Deny' | undefined;

/** A compiled statement. */
interface Statement {
  allow: boolean;
  principal: (r: PolicyRequest) => boolean;
  action: (action: string) => boolean;
  resource: (resource: string, r: PolicyRequest) => boolean;
  conditions: Array<(r: PolicyRequest) => boolean>;
  /** Allows everyone (a `*` principal) with no condition: what makes a policy public. */
  public: boolean;
}

/** A bucket policy ready to evaluate; `text` is the document as stored. */
export interface CompiledPolicy {
  text: string;
  statements: Statement[];
  /** True when some Allow statement lets anyone in unconditionally (GetBucketPolicyStatus). */
  isPublic: boolean;
  /** The condition keys the statements read (so the gateway fetches object tags only when needed). */
  keys: ReadonlySet<string>;
  /** Some statement reads `s3:ExistingObjectTag/…`: the object's tags must be fetched first. */
  readsObjectTags: boolean;
  /**
   * The statements whose Action (or NotAction) matches, by action, in policy order; filled as
   * actions are asked (a few dozen exist), so a request tests only the statements about it.
   */
  byAction: Map<string, Statement[]>;
}

/** The largest policy document S3 accepts (20 KB). */
export const MAX_POLICY_BYTES = 20 * 1024;

/** A MalformedPolicy error with AWS's wording. */
export function malformedPolicy(why: string): ObjectStoreError {
  return new ObjectStoreError('MalformedPolicy', why);
}

function list(value: unknown, what: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) return value;
  throw malformedPolicy(`${what} must be a string or a non-empty list of strings`);
}

/** A `*`/`?` wildcard pattern as an anchored regular expression. */
export function wildcard(pattern: string, ignoreCase = false): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}

function anyOf(patterns: string[], ignoreCase: boolean): (s: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const tests = patterns.map((p) => wildcardTest(p, ignoreCase));
  if (tests.length === 1) return tests[0]!;
  return (s) => {
    for (const t of tests) if (t(s)) return true;
    return false;
  };
}

/**
 * Resource patterns, with policy variables (`${aws:username}`, any condition key) filled from
 * the request at evaluation; patterns without variables are compiled once.
 */
function resourcesOf(patterns: string[]): (s: string, r: PolicyRequest) => boolean {
  const fixed = anyOf(
    patterns.filter((p) => !p.includes('${')),
    false,
  );
  const variable = patterns.filter((p) => p.includes('${'));
  if (variable.length === 0) return fixed;
  return (s, r) =>
    fixed(s) ||
    variable.some((p) => {
      let missing = false;
      const filled = p.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
        if (name === '*' || name === '?' || name === '$') return '\\' + name;
        const v = r.key(name.toLowerCase());
        if (typeof v !== 'string') missing = true;
        return typeof v === 'string' ? v.replace(/[*?]/g, '\\$&') : '';
      });
      return !missing && wildcardEscaped(filled).test(s);
    });
}

/** A wildcard pattern in which `\*` and `\?` stand for themselves (filled-in variable values). */
function wildcardEscaped(pattern: string): RegExp {
  let body = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) body += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (ch === '*') body += '.*';
    else if (ch === '?') body += '.';
    else body += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${body}$`, 's');
}

function principalOf(value: unknown): { match: (r: PolicyRequest) => boolean; everyone: boolean } {
  if (value === '*') return { match: () => true, everyone: true };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformedPolicy('Invalid principal in policy');
  const users = new Set<string>();
  const ids = new Set<string>();
  let everyone = false;
  for (const [kind, v] of Object.entries(value as Record<string, unknown>)) {
    if (kind !== 'AWS' && kind !== 'CanonicalUser') throw malformedPolicy('Invalid principal in policy');
    for (const p of list(v, 'Principal')) {
      if (p === '*') everyone = true;
      else if (kind === 'CanonicalUser') ids.add(p);
      else {
        // arn:aws:iam::ACCOUNT:user/NAME, or a bare user name.
        const m = /^arn:aws:iam::[^:]*:user\/(.+)$/.exec(p);
        users.add(m ? m[1]! : p);
      }
    }
  }
  if (everyone) return { match: () => true, everyone };
  return {
    match: (r) =>
      (r.user !== undefined && users.has(r.user)) || (r.canonicalId !== undefined && ids.has(r.canonicalId)),
    everyone,
  };
}

/** Checks the ARN of a resource is in the bucket the policy is attached to. */
function checkResource(bucket: string, arn: string): void {
  const prefix = 'arn:aws:s3:::';
  const rest = arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
  const name = rest?.split('/')[0];
  if (rest === undefined || name === undefined || !wildcard(name).test(bucket))
    throw malformedPolicy('Policy has invalid resource');
}

function compileStatement(bucket: string, raw: unknown, keys: Set<string>): Statement {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw malformedPolicy('Each Statement must be an object');
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s))
    if (
      ![
        'Sid',
        'Effect',
        'Principal',
        'NotPrincipal',
        'Action',
        'NotAction',
        'Resource',
        'NotResource',
        'Condition',
      ].includes(k)
    )
      throw malformedPolicy(`Unknown field ${k}`);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
    throw malformedPolicy('Invalid effect: ' + String(s.Effect));
  if (s.Principal === undefined) throw malformedPolicy('Missing required field Principal');
  if (s.NotPrincipal !== undefined) throw malformedPolicy('NotPrincipal is not supported');
  const principal = principalOf(s.Principal);
  if ((s.Action === undefined) === (s.NotAction === undefined))
    throw malformedPolicy('Missing required field Action (exactly one of Action and NotAction)');
  const actions = list(s.Action ?? s.NotAction, 'Action');
  for (const a of actions)
    if (a !== '*' && !/^s3:[A-Za-z0-9*?]+$/.test(a)) throw malformedPolicy('Policy has invalid action');
  const actionMatch = anyOf(actions, true);
  const action = s.Action !== undefined ? actionMatch : (a: string) => !actionMatch(a);
  if ((s.Resource === undefined) === (s.NotResource === undefined))
    throw malformedPolicy('Missing required field Resource (exactly one of Resource and NotResource)');
  const resources = list(s.Resource ?? s.NotResource, 'Resource');
  for (const r of resources) if (r !== '*') checkResource(bucket, r);
  const resourceMatch = resourcesOf(resources);
  const resource =
    s.Resource !== undefined ? resourceMatch : (x: string, r: PolicyRequest) => !resourceMatch(x, r);
  const conditions: Array<(r: PolicyRequest) => boolean> = [];
  if (s.Condition !== undefined) {
    if (typeof s.Condition !== 'object' || s.Condition === null || Array.isArray(s.Condition))
      throw malformedPolicy('Condition must be an object');
    for (const [operator, block] of Object.entries(s.Condition as Record<string, unknown>)) {
      if (typeof block !== 'object' || block === null || Array.isArray(block))
        throw malformedPolicy(`Invalid Condition block for ${operator}`);
      for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
        const vs = (Array.isArray(values) ? values : [values]).map((v) =>
          typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined,
        );
        if (vs.length === 0 || vs.some((v) => v === undefined))
          throw malformedPolicy(`Condition values of ${key} must be strings, numbers or booleans`);
        keys.add(key.toLowerCase());
        conditions.push(conditionTest(operator, key, vs as string[]));
      }
    }
  }
  return {
    allow: s.Effect === 'Allow',
    principal: principal.match,
    action,
    resource,
    conditions,
    public: s.Effect === 'Allow' && principal.everyone && conditions.length === 0,
  };
}

/**
 * Parses, validates and compiles a bucket policy for `bucket`: MalformedPolicy (with AWS's
 * messages where clients match them) for bad JSON, a missing or invalid field, an unknown
 * action, a resource outside the bucket or an unknown condition operator.
 */
export function compilePolicy(bucket: string, text: string): CompiledPolicy {
  if (text.length > MAX_POLICY_BYTES) throw malformedPolicy('Policies must be at most 20 KB');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformedPolicy('This policy contains invalid Json');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw malformedPolicy('This policy contains invalid Json');
  const d = doc as Record<string, unknown>;
  if (d.Version !== undefined && d.Version !== '2012-10-17' && d.Version !== '2008-10-17')
    throw malformedPolicy('The policy must contain a valid version string');
  if (d.Statement === undefined) throw malformedPolicy('Missing required field Statement');
  const raw = Array.isArray(d.Statement) ? d.Statement : [d.Statement];
  if (raw.length === 0) throw malformedPolicy('Could not parse the policy: Statement is empty!');
  const keys = new Set<string>();
  const statements = raw.map((s) => compileStatement(bucket, s, keys));
  return {
    text,
    statements,
    isPublic: statements.some((s) => s.public),
    keys,
    readsObjectTags: [...keys].some((k) => k.startsWith('s3:existingobjecttag/')),
    byAction: new Map(),
  };
}

/**
 * A policy's verdict: Deny when a matching statement denies (explicit deny wins), Allow when one
 * allows, undefined when none applies. `ignorePublic` (Block Public Access's
 * RestrictPublicBuckets) drops the statements that let everyone in unconditionally; `denyOnly`
 * looks at Deny statements alone (for the bucket owner, whom an Allow adds nothing to).
 */
export function evaluatePolicy(
  policy: CompiledPolicy,
  request: PolicyRequest,
  options: { ignorePublic?: boolean; denyOnly?: boolean } = {},
): PolicyDecision {
  let allowed = options.denyOnly === true;
  let about = policy.byAction.get(request.action);
  if (about === undefined) {
    about = policy.statements.filter((s) => s.action(request.action));
    // Actions come from the gateway's own table, but a bound keeps a memo a memo.
    if (policy.byAction.size < 1024) policy.byAction.set(request.action, about);
  }
  for (const s of about) {
    if (s.allow && (allowed || (options.ignorePublic === true && s.public))) continue;
    if (!s.resource(request.resource, request) || !s.principal(request)) continue;
    let holds = true;
    for (const c of s.conditions)
      if (!c(request)) {
        holds = false;
        break;
      }
    if (!holds) continue;
    if (!s.allow) return 'Deny';
    allowed = true;
  }
  return allowed && options.denyOnly !== true ? 'Allow' : undefined;
}
