import type { CacheEntry } from './cache-entry.js';
import type { EntryMatcher } from './entry-matcher.js';
import type { ResourceCache } from './resource-cache.js';
import { firstAfter } from './sorted-keys.js';

/** A list position: strictly after this key. */
export interface Key {
  namespace: string;
  name: string;
}

/** One page of a listing from the cache. */
export interface CachePage {
  items: CacheEntry[];
  /** True when more objects match after the last item. */
  more: boolean;
  /** Objects left after the page, when known exactly (no selectors, no snapshot). */
  remaining?: number;
}

/**
 * The state of a resource at an older revision, as the current state plus, for every key
 * changed since, the version it had then (null: it did not exist). Built from the history: the
 * first change of a key after the revision holds what it replaced.
 */
export class Snapshot {
  private readonly then = new Map<string, CacheEntry | null>();
  /** Versions that existed at the revision but are gone now, in key order. */
  readonly gone: CacheEntry[] = [];

  constructor(cache: ResourceCache, revision: number) {
    for (const event of cache.history.since(revision)) {
      const k = keyString(event.entry);
      if (!this.then.has(k)) this.then.set(k, event.type === 'ADDED' ? null : (event.prev ?? null));
    }
    for (const version of this.then.values()) {
      if (version !== null && cache.get(version.namespace, version.name) === undefined)
        this.gone.push(version);
    }
    this.gone.sort(compareKeys);
  }

  /** True when nothing changed since the revision. */
  get unchanged(): boolean {
    return this.then.size === 0;
  }

  /** Keys changed since the revision. */
  changedKeys(): Iterable<Key> {
    return [...this.then.keys()].map(parseKey);
  }

  /** The version of a key at the revision, given its current one. */
  version(key: Key, current: CacheEntry | undefined): CacheEntry | undefined {
    const k = keyString(key);
    if (!this.then.has(k)) return current;
    return this.then.get(k) ?? undefined;
  }
}

/**
 * Reads one page: the objects matching `matcher`, in (namespace, name) order after `after`, at
 * most `limit` (0: all), from the current state or a snapshot. Candidates come from the
 * narrowest source the selection allows: one key for `metadata.name=` in a namespace, the field
 * index for an `=` on an indexed path, else a walk of the sorted keys.
 */
export function listPage(
  cache: ResourceCache,
  matcher: EntryMatcher,
  options: { after?: Key; limit: number },
  snapshot?: Snapshot,
): CachePage {
  const items: CacheEntry[] = [];
  const at = snapshot !== undefined && !snapshot.unchanged ? snapshot : undefined;
  let more = false;
  for (const key of candidates(cache, matcher, options.after, at)) {
    const current = cache.get(key.namespace, key.name);
    const version = at === undefined ? current : at.version(key, current);
    if (version === undefined || (matcher.selective && !matcher.matches(version))) continue;
    if (options.limit > 0 && items.length === options.limit) {
      more = true;
      break;
    }
    items.push(version);
  }
  const page: CachePage = { items, more };
  const last = items[items.length - 1];
  if (more && last !== undefined && !matcher.selective && at === undefined) {
    page.remaining = countAfter(cache, matcher.namespace, last);
  }
  return page;
}

function candidates(
  cache: ResourceCache,
  matcher: EntryMatcher,
  after: Key | undefined,
  at: Snapshot | undefined,
): Iterable<Key> {
  const ns = matcher.namespace;
  const keep = (k: Key): boolean =>
    (ns === '' || k.namespace === ns) && (after === undefined || compareKeys(k, after) > 0);
  if (matcher.name !== undefined) {
    const name = matcher.name;
    const spaces = ns !== '' ? [ns] : cache.namespaces();
    const keys: Key[] = spaces
      .filter((n) => cache.get(n, name) !== undefined)
      .map((n) => ({ namespace: n, name }));
    if (at !== undefined) keys.push(...at.gone.filter((e) => e.name === name));
    return sortedUnique(keys.filter(keep));
  }
  if (matcher.indexed !== undefined) {
    const keys: Key[] = [...cache.indexed(matcher.indexed.position, matcher.indexed.value)];
    if (at !== undefined) keys.push(...at.changedKeys());
    return sortedUnique(keys.filter(keep));
  }
  const walked = walk(cache, ns, after);
  return at === undefined ? walked : merge(walked, at.gone.filter(keep));
}

/** The current keys in order, in one namespace or all, strictly after `after`. */
function* walk(cache: ResourceCache, namespace: string, after: Key | undefined): Generator<Key> {
  const spaces = namespace !== '' ? [namespace] : cache.namespaces();
  let i = after === undefined || namespace !== '' ? 0 : firstAfter(spaces, after.namespace) - 1;
  for (i = Math.max(0, i); i < spaces.length; i++) {
    const ns = spaces[i] as string;
    if (after !== undefined && ns < after.namespace) continue;
    const names = cache.names(ns);
    for (
      let j = after !== undefined && ns === after.namespace ? firstAfter(names, after.name) : 0;
      j < names.length;
      j++
    ) {
      yield { namespace: ns, name: names[j] as string };
    }
  }
}

function* merge(a: Iterable<Key>, b: readonly Key[]): Generator<Key> {
  let j = 0;
  for (const k of a) {
    while (j < b.length && compareKeys(b[j] as Key, k) < 0) yield b[j++] as Key;
    yield k;
  }
  while (j < b.length) yield b[j++] as Key;
}

function countAfter(cache: ResourceCache, namespace: string, last: Key): number {
  const spaces = namespace !== '' ? [namespace] : cache.namespaces();
  let n = 0;
  for (const ns of spaces) {
    if (ns < last.namespace) continue;
    if (ns === last.namespace) {
      const names = cache.names(ns);
      n += names.length - firstAfter(names, last.name);
    } else {
      n += cache.countIn(ns);
    }
  }
  return n;
}

function sortedUnique(keys: Key[]): Key[] {
  keys.sort(compareKeys);
  return keys.filter((k, i) => i === 0 || compareKeys(keys[i - 1] as Key, k) !== 0);
}

/** Orders keys by namespace, then name (the store's list order). */
export function compareKeys(a: Key, b: Key): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function keyString(k: Key): string {
  return `${k.namespace}/${k.name}`;
}

function parseKey(s: string): Key {
  const slash = s.indexOf('/');
  return { namespace: s.slice(0, slash), name: s.slice(slash + 1) };
}
