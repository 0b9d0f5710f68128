import type { WatchEventType } from '../store.js';
import { atRevision, type CacheEntry } from './cache-entry.js';

/**
 * A change as the watch cache records and delivers it. `entry` is the version the event shows:
 * the new one for ADDED and MODIFIED, the last one for DELETED (which is shown at the
 * deletion's revision). `prev` is the version the change replaced (for DELETED, the same as
 * `entry`), which snapshots and selector transitions need. The same event object goes to every
 * watcher that sees the change unaltered, so its JSON is made at most once.
 */
export class CacheEvent {
  private shown: string | undefined;
  private entering: CacheEvent | undefined;
  private leaving: CacheEvent | undefined;

  constructor(
    readonly type: WatchEventType,
    readonly revision: number,
    readonly entry: CacheEntry,
    readonly prev: CacheEntry | undefined,
  ) {}

  /** The object's JSON text at this event's revision. */
  get json(): string {
    if (this.entry.revision === this.revision) return this.entry.json;
    return (this.shown ??= atRevision(this.entry.json, this.revision));
  }

  /** Sets the JSON text at this revision when the caller already has it (a deletion it parsed). */
  setJson(json: string): void {
    this.shown = json;
  }

  /** This MODIFIED event as seen by a selector the object enters: ADDED (shared by those watchers). */
  asEntering(): CacheEvent {
    return (this.entering ??= new CacheEvent('ADDED', this.revision, this.entry, undefined));
  }

  /** This MODIFIED event as seen by a selector the object leaves: DELETED of the previous version. */
  asLeaving(): CacheEvent {
    const prev = this.prev ?? this.entry;
    return (this.leaving ??= new CacheEvent('DELETED', this.revision, prev, prev));
  }
}
