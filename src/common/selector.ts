import { StratusError } from './stratus-error.js';

/**
 * Kubernetes label and field selectors: parsing, matching and printing. Pure logic (no I/O), so
 * the store, the API server, controllers and the dashboard all filter objects the same way.
 */

/** A bad selector (400, `SELECTOR_INVALID`); the message names the part that failed to parse. */
export class SelectorError extends StratusError {
  constructor(message: string, selector: string) {
    super('SELECTOR_INVALID', 400, message, { selector });
    this.name = 'SelectorError';
  }
}

/** The operator of one label requirement, as Kubernetes spells them in `LabelSelectorRequirement`. */
export type LabelOperator =
  'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'GreaterThan' | 'LessThan';

/** One term of a label selector: `key op values`. All terms of a selector must hold (AND). */
export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** One term of a field selector: a dotted path compared with a string value. */
export interface FieldRequirement {
  path: string;
  operator: 'Equals' | 'NotEquals';
  value: string;
}

/** The structured selector of Deployments, ReplicaSets, Services' pods and so on. */
export interface LabelSelector {
  matchLabels?: Record<string, string> | undefined;
  matchExpressions?: readonly LabelSelectorRequirement[] | undefined;
}

/** One `matchExpressions` entry. */
export interface LabelSelectorRequirement {
  key: string;
  /** `In`, `NotIn`, `Exists` or `DoesNotExist`; typed as string to accept `kubernetes-types` objects. */
  operator: string;
  values?: readonly string[] | undefined;
}

const NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string, selector: string | (() => string)): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const nameOk = name.length > 0 && name.length <= 63 && NAME_RE.test(name);
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN_RE.test(prefix));
  if (!nameOk || !prefixOk) {
    throw new SelectorError(
      `unable to parse requirement: invalid label key "${key}": name part must consist of alphanumeric ` +
        `characters, '-', '_' or '.', start and end with an alphanumeric character, at most 63 characters`,
      typeof selector === 'string' ? selector : selector(),
    );
  }
}

function checkValue(value: string, selector: string | (() => string)): void {
  if (value === '') return;
  if (value.length > 63 || !NAME_RE.test(value)) {
    throw new SelectorError(
      `unable to parse requirement: invalid label value "${value}": must be 63 characters or less and ` +
        `consist of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`,
      typeof selector === 'string' ? selector : selector(),
    );
  }
}

type Token =
  | { kind: 'id'; text: string }
  | { kind: 'op'; text: '!' | '=' | '==' | '!=' | '<' | '>' | '(' | ')' | ',' }
  | { kind: 'end' };

function lexLabels(selector: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < selector.length) {
    const c = selector[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '=' || c === '!') {
      const two = selector.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push({ kind: 'op', text: two });
        i += 2;
      } else {
        tokens.push({ kind: 'op', text: c });
        i++;
      }
    } else if (c === '<' || c === '>' || c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < selector.length && !' \t\n\r=!<>(),'.includes(selector[j] as string)) j++;
      tokens.push({ kind: 'id', text: selector.slice(i, j) });
      i = j;
    }
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'end of string' : `"${t.text}"`;
}

/**
 * Parses a label selector string (`app=web,tier in (a,b),!canary,release`) into requirements.
 * The empty string is the selector that matches everything. Throws SelectorError on bad syntax,
 * invalid keys or values, naming the failing part as Kubernetes does.
 */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const tokens = lexLabels(selector);
  const out: LabelRequirement[] = [];
  let p = 0;
  const peek = (): Token => tokens[p] as Token;
  const next = (): Token => tokens[p++] as Token;
  const fail = (why: string): never => {
    throw new SelectorError(`unable to parse requirement: ${why} in selector "${selector}"`, selector);
  };
  if (peek().kind === 'end') return out;
  for (;;) {
    let t = next();
    let negated = false;
    if (t.kind === 'op' && t.text === '!') {
      negated = true;
      t = next();
    }
    if (t.kind !== 'id') return fail(`expected a label key but found ${describe(t)}`);
    const key = t.text;
    checkKey(key, selector);
    const op = peek();
    if (negated) {
      if (!(op.kind === 'end' || (op.kind === 'op' && op.text === ','))) {
        return fail(`expected "," or end of string after "!${key}" but found ${describe(op)}`);
      }
      out.push({ key, operator: 'DoesNotExist', values: [] });
    } else if (op.kind === 'end' || (op.kind === 'op' && op.text === ',')) {
      out.push({ key, operator: 'Exists', values: [] });
    } else if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
      next();
      const v = peek();
      let value = '';
      if (v.kind === 'id') {
        value = v.text;
        next();
      } else if (!(v.kind === 'end' || (v.kind === 'op' && v.text === ','))) {
        return fail(`expected a value after "${key}${op.text}" but found ${describe(v)}`);
      }
      checkValue(value, selector);
      out.push({ key, operator: op.text === '!=' ? 'NotEquals' : 'Equals', values: [value] });
    } else if (op.kind === 'op' && (op.text === '<' || op.text === '>')) {
      next();
      const v = next();
      if (v.kind !== 'id' || !/^-?[0-9]+$/.test(v.text)) {
        return fail(`expected an integer after "${key}${op.text}" but found ${describe(v)}`);
      }
      out.push({ key, operator: op.text === '>' ? 'GreaterThan' : 'LessThan', values: [v.text] });
    } else if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
      next();
      const open = next();
      if (!(open.kind === 'op' && open.text === '(')) {
        return fail(`expected "(" after "${key} ${op.text}" but found ${describe(open)}`);
      }
      const first = peek();
      if (first.kind === 'op' && first.text === ')') {
        return fail(`for 'in', 'notin' operators, values set can't be empty ("${key}")`);
      }
      const values: string[] = [];
      for (;;) {
        const v = peek();
        let value = '';
        if (v.kind === 'id') {
          value = v.text;
          next();
        }
        const sep = next();
        if (sep.kind === 'op' && (sep.text === ',' || sep.text === ')')) {
          checkValue(value, selector);
          values.push(value);
          if (sep.text === ')') break;
        } else {
          return fail(`expected "," or ")" in the values of "${key}" but found ${describe(sep)}`);
        }
      }
      out.push({ key, operator: op.text === 'in' ? 'In' : 'NotIn', values: [...new Set(values)].sort() });
    } else {
      return fail(`expected an operator after "${key}" but found ${describe(op)}`);
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (!(sep.kind === 'op' && sep.text === ',')) {
      return fail(`expected "," or end of string but found ${describe(sep)}`);
    }
  }
  return out;
}

/** True when `labels` (undefined = no labels) satisfy every requirement. */
export function matchLabelRequirements(
  requirements: readonly LabelRequirement[],
  labels: Record<string, string> | undefined,
): boolean {
  for (const r of requirements) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = has ? labels[r.key] : undefined;
    switch (r.operator) {
      case 'Equals':
      case 'In':
        if (value === undefined || !r.values.includes(value)) return false;
        break;
      case 'NotEquals':
      case 'NotIn':
        if (value !== undefined && r.values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      case 'GreaterThan':
      case 'LessThan': {
        if (value === undefined || !/^-?[0-9]+$/.test(value)) return false;
        const a = Number(value);
        const b = Number(r.values[0]);
        if (r.operator === 'GreaterThan' ? !(a > b) : !(a < b)) return false;
        break;
      }
    }
  }
  return true;
}

/** Parses `selector` once and returns a matcher over label maps (the empty selector matches all). */
export function compileLabelSelector(
  selector: string,
): (labels: Record<string, string> | undefined) => boolean {
  const reqs = parseLabelSelector(selector);
  if (reqs.length === 0) return () => true;
  return (labels) => matchLabelRequirements(reqs, labels);
}

/**
 * Parses a field selector (`metadata.name=web,status.phase!=Running`). Values may escape `,`, `=`
 * and `\` with a backslash, as in Kubernetes. The empty string matches everything.
 */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (selector.trim() === '') return out;
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i] as string;
    if (c === '\\' && i + 1 < selector.length) {
      cur += c + (selector[i + 1] as string);
      i++;
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  terms.push(cur);
  for (const term of terms) {
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    // Find the first unescaped operator; paths never contain backslashes.
    if (m === null) {
      throw new SelectorError(
        `invalid selector: '${selector}'; can't understand '${term}' (expected path=value or path!=value)`,
        selector,
      );
    }
    const path = (m[1] as string).trim();
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(path)) {
      throw new SelectorError(`invalid selector: '${selector}'; invalid field path "${path}"`, selector);
    }
    const raw = (m[3] as string).trim();
    let value = '';
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i] as string;
      if (c === '\\') {
        const n = raw[i + 1];
        if (n !== ',' && n !== '=' && n !== '\\') {
          throw new SelectorError(
            `invalid selector: '${selector}'; invalid escape in value "${raw}"`,
            selector,
          );
        }
        value += n;
        i++;
      } else if (c === '=' || c === ',') {
        throw new SelectorError(
          `invalid selector: '${selector}'; unescaped "${c}" in value "${raw}"`,
          selector,
        );
      } else {
        value += c;
      }
    }
    out.push({ path, operator: m[2] === '!=' ? 'NotEquals' : 'Equals', value });
  }
  return out;
}

/** The string form of the value at a dotted path; a missing field or null reads as ''. */
export function fieldValue(object: unknown, path: string): string {
  let cur: unknown = object;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return JSON.stringify(cur);
}

/** True when `object` satisfies every field requirement. */
export function matchFieldRequirements(requirements: readonly FieldRequirement[], object: unknown): boolean {
  for (const r of requirements) {
    const v = fieldValue(object, r.path);
    if (r.operator === 'Equals' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** Parses `selector` once and returns a matcher over objects (the empty selector matches all). */
export function compileFieldSelector(selector: string): (object: unknown) => boolean {
  const reqs = parseFieldSelector(selector);
  if (reqs.length === 0) return () => true;
  return (object) => matchFieldRequirements(reqs, object);
}

/**
 * The requirements of a structured selector, validated. Throws SelectorError for an unknown
 * operator, `In`/`NotIn` without values or `Exists`/`DoesNotExist` with values.
 */
export function labelSelectorRequirements(selector: LabelSelector): LabelRequirement[] {
  const text = (): string => JSON.stringify(selector);
  const out: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    checkKey(key, text);
    checkValue(value, text);
    out.push({ key, operator: 'Equals', values: [value] });
  }
  for (const e of selector.matchExpressions ?? []) {
    checkKey(e.key, text);
    const values = e.values ?? [];
    let operator: LabelOperator;
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (values.length === 0) {
        throw new SelectorError(
          `matchExpressions[${e.key}]: values must be non-empty for ${e.operator}`,
          text(),
        );
      }
      values.forEach((v) => checkValue(v, text));
      operator = e.operator;
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (values.length > 0) {
        throw new SelectorError(`matchExpressions[${e.key}]: values must be empty for ${e.operator}`, text());
      }
      operator = e.operator;
    } else {
      throw new SelectorError(
        `matchExpressions[${e.key}]: "${e.operator}" is not a valid label selector operator`,
        text(),
      );
    }
    out.push({ key: e.key, operator, values: [...new Set(values)].sort() });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Matches the structured selector of Deployments, ReplicaSets, Jobs … against labels. As in
 * Kubernetes, an absent (null/undefined) selector matches nothing and an empty one `{}` matches
 * everything.
 */
export function matchLabelSelector(
  selector: LabelSelector | null | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector === null || selector === undefined) return false;
  return matchLabelRequirements(labelSelectorRequirements(selector), labels);
}

function requirementToString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'Equals':
      return `${r.key}=${r.values[0] ?? ''}`;
    case 'NotEquals':
      return `${r.key}!=${r.values[0] ?? ''}`;
    case 'In':
      return `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return `${r.key} notin (${r.values.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'GreaterThan':
      return `${r.key}>${r.values[0] ?? ''}`;
    case 'LessThan':
      return `${r.key}<${r.values[0] ?? ''}`;
  }
}

/** Prints requirements in the string syntax that parseLabelSelector reads back. */
export function labelRequirementsToString(requirements: readonly LabelRequirement[]): string {
  return requirements.map(requirementToString).join(',');
}

/**
 * The string form of a structured selector (`app=web,tier in (a,b)`), sorted by key as
 * Kubernetes prints it; used to turn a Deployment's selector into a list/watch labelSelector.
 */
export function labelSelectorToString(selector: LabelSelector): string {
  return labelRequirementsToString(labelSelectorRequirements(selector));
}
