import assert from 'node:assert/strict';
import type { KubeObject } from '../../common/kube-object.js';
import { StratusError } from '../../common/stratus-error.js';
import type { Store, WatchEvent, WatchOptions, Watcher } from '../store.js';

/**
 * What a contract factory returns: an empty store, a cleanup that removes its data (called after
 * the suite closed the store), and optionally a way to open the same data again, for the tests
 * that a revision survives a restart.
 */
export interface StoreHandle {
  store: Store;
  cleanup: () => Promise<void>;
  reopen?: () => Promise<Store>;
}

/** Opens a fresh, empty store for one contract test. */
export type StoreFactory = () => Promise<StoreHandle>;

/** Runs `body` with a fresh store and always closes it and cleans up. */
export async function withStore(open: StoreFactory, body: (h: StoreHandle) => Promise<void>): Promise<void> {
  const h = await open();
  try {
    await body(h);
  } finally {
    await h.store.close();
    await h.cleanup();
  }
}

/** A small namespaced object with optional labels and extra fields. */
export function obj(
  name: string,
  namespace = 'default',
  labels?: Record<string, string>,
  extra: Record<string, unknown> = {},
): KubeObject {
  const metadata: KubeObject['metadata'] = { name };
  if (namespace !== '') metadata.namespace = namespace;
  if (labels !== undefined) metadata.labels = labels;
  return { apiVersion: 'v1', kind: 'Thing', metadata, ...extra };
}

/** Asserts that `promise` rejects with a StratusError of `code` (and `status`), returning it. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  status: number,
): Promise<StratusError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StratusError, `expected a StratusError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, status);
    return err;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

/** Same as rejectsWith but for a call that may also throw synchronously. */
export async function callRejectsWith(
  fn: () => Promise<unknown>,
  code: string,
  status: number,
): Promise<StratusError> {
  let p: Promise<unknown>;
  try {
    p = fn();
  } catch (err) {
    p = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  return rejectsWith(p, code, status);
}

/** A watch that records its events and can wait (bounded) for a number of them. */
export class Recorder {
  readonly events: WatchEvent[] = [];
  watcher: Watcher | undefined;
  private waiters: Array<() => void> = [];

  static async start(store: Store, resource: string, options: WatchOptions): Promise<Recorder> {
    const r = new Recorder();
    r.watcher = await store.watch(resource, options, (e) => {
      r.events.push(e);
      for (const w of r.waiters.splice(0)) w();
    });
    return r;
  }

  /** Waits until at least `count` events arrived; fails after `timeoutMs` (a bound, not a timing assertion). */
  async waitFor(count: number, timeoutMs = 10_000): Promise<WatchEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        assert.fail(`expected ${count} watch events, got ${this.events.length}: ${summary(this.events)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.events;
  }

  async close(): Promise<void> {
    await this.watcher?.close();
  }
}

/** `ADDED a@3, DELETED b@5`: events in a form assertion messages and deepEqual can use. */
export function summary(events: readonly WatchEvent[]): string {
  return events.map((e) => `${e.type} ${e.object.metadata.name ?? '?'}@${e.revision}`).join(', ');
}

/** The names of a list of objects, in order. */
export function names(items: readonly KubeObject[]): string[] {
  return items.map((i) => `${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}`);
}
