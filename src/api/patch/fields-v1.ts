import { isObject } from './json.js';

/**
 * A set of field paths in Kubernetes' structured-merge-diff shape: at each level, `members` are
 * the path elements that are themselves in the set and `children` hold deeper paths. Path
 * elements are FieldsV1 keys: `f:name` (a field), `k:{"name":"web"}` (a keyed list element),
 * `v:"x"` (a set element), `i:3` (an index). Instances are immutable once built by these helpers.
 */
export class FieldSet {
  readonly members = new Set<string>();
  readonly children = new Map<string, FieldSet>();

  /** Adds one path (a list of path elements); the empty path is ignored. */
  insert(path: readonly string[]): void {
    const [first, ...rest] = path;
    if (first === undefined) return;
    if (rest.length === 0) {
      this.members.add(first);
      return;
    }
    let child = this.children.get(first);
    if (child === undefined) {
      child = new FieldSet();
      this.children.set(first, child);
    }
    child.insert(rest);
  }

  /** The set below `element`, created when missing (for building sets level by level). */
  childFor(element: string): FieldSet {
    let child = this.children.get(element);
    if (child === undefined) {
      child = new FieldSet();
      this.children.set(element, child);
    }
    return child;
  }

  /** The set at `path`, created when missing. */
  nodeAt(path: readonly string[]): FieldSet {
    let node: FieldSet = this.childFor(path[0] ?? '');
    for (let i = 1; i < path.length; i++) node = node.childFor(path[i] ?? '');
    return node;
  }

  /** True when `path` is a member. */
  has(path: readonly string[]): boolean {
    const [first, ...rest] = path;
    if (first === undefined) return false;
    if (rest.length === 0) return this.members.has(first);
    return this.children.get(first)?.has(rest) ?? false;
  }

  /** The set of paths below `element`, relative to it (empty when there are none). */
  child(element: string): FieldSet {
    return this.children.get(element) ?? new FieldSet();
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const child of this.children.values()) if (!child.isEmpty()) return false;
    return true;
  }

  /** Every member path, in Kubernetes' order: a level's members (sorted), then its children. */
  paths(prefix: readonly string[] = []): string[][] {
    const out: string[][] = [];
    for (const m of sortElements([...this.members])) out.push([...prefix, m]);
    for (const c of sortElements([...this.children.keys()])) {
      out.push(...(this.children.get(c)?.paths([...prefix, c]) ?? []));
    }
    return out;
  }

  union(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a || b);
  }

  intersection(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a && b);
  }

  difference(other: FieldSet): FieldSet {
    return combine(this, other, (a, b) => a && !b);
  }

  /** Equal when both hold the same member paths. */
  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  /** The FieldsV1 JSON form: `{"f:spec":{"f:replicas":{}}}`, `".": {}` marking a member with children. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const elements = sortElements([...new Set([...this.members, ...this.children.keys()])]);
    for (const e of elements) {
      const child = this.children.get(e);
      const inner = child !== undefined && !child.isEmpty() ? child.toFieldsV1() : {};
      out[e] = this.members.has(e) && Object.keys(inner).length > 0 ? { '.': {}, ...inner } : inner;
    }
    return out;
  }

  /** Parses FieldsV1 JSON; unknown shapes are skipped rather than trusted. */
  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    if (!isObject(fields)) return set;
    for (const [element, value] of Object.entries(fields)) {
      if (element === '.' || !isObject(value)) continue;
      const keys = Object.keys(value);
      if (keys.length === 0 || Object.hasOwn(value, '.')) set.members.add(element);
      const child = FieldSet.fromFieldsV1(value);
      if (!child.isEmpty()) set.children.set(element, child);
    }
    return set;
  }

  /** A set holding the given paths. */
  static of(paths: ReadonlyArray<readonly string[]>): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }
}

/** Never modified: what `combine` reads for a side that has no subtree. */
const NONE = new FieldSet();

/**
 * A set operation level by level. Subtrees present on one side only are visited only when the
 * operation keeps such paths (a union keeps both sides, a difference only the left), and no
 * intermediate arrays are made: this runs on every write's managed fields.
 */
function combine(a: FieldSet, b: FieldSet, keep: (inA: boolean, inB: boolean) => boolean): FieldSet {
  const out = new FieldSet();
  for (const m of a.members) if (keep(true, b.members.has(m))) out.members.add(m);
  if (keep(false, true)) for (const m of b.members) if (!a.members.has(m)) out.members.add(m);
  const leftOnly = keep(true, false);
  for (const [c, left] of a.children) {
    const right = b.children.get(c);
    if (right === undefined && !leftOnly) continue;
    const child = combine(left, right ?? NONE, keep);
    if (!child.isEmpty()) out.children.set(c, child);
  }
  if (keep(false, true)) {
    for (const [c, right] of b.children) {
      if (a.children.has(c)) continue;
      const child = combine(NONE, right, keep);
      if (!child.isEmpty()) out.children.set(c, child);
    }
  }
  return out;
}

const ELEMENT_RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** Sorts path elements as structured-merge-diff does: fields, then keys, values, indexes. */
function sortElements(elements: string[]): string[] {
  return elements.sort((a, b) => {
    const ra = ELEMENT_RANK[a.slice(0, 1)] ?? 4;
    const rb = ELEMENT_RANK[b.slice(0, 1)] ?? 4;
    if (ra !== rb) return ra - rb;
    if (a.startsWith('i:') && b.startsWith('i:')) return Number(a.slice(2)) - Number(b.slice(2));
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * A path in Kubernetes' printed form, as conflict messages show it:
 * `.spec.template.spec.containers[name="web"].image`, `.metadata.finalizers[="x"]`, `.args[0]`.
 */
export function pathString(path: readonly string[]): string {
  return path
    .map((element) => {
      const body = element.slice(2);
      if (element.startsWith('f:')) return `.${body}`;
      if (element.startsWith('i:')) return `[${body}]`;
      if (element.startsWith('v:')) return `[=${printValue(parse(body))}]`;
      if (element.startsWith('k:')) {
        const key = parse(body);
        if (!isObject(key)) return `[${body}]`;
        return `[${Object.keys(key)
          .sort()
          .map((k) => `${k}=${printValue(key[k])}`)
          .join(',')}]`;
      }
      return element;
    })
    .join('');
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function printValue(value: unknown): string {
  if (isObject(value) || Array.isArray(value)) return JSON.stringify(value);
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
