import type { Clock } from '../../common/clock.js';
import type { KubeObject } from '../../common/kube-object.js';
import { hasCode } from '../../common/stratus-error.js';
import {
  addLists,
  checkQuotaRequest,
  inFlightCharge,
  inFlightCharges,
  liveCharges,
  parseResourceList,
  quotaState,
  resourceListJson,
  subtractNonNegative,
  withInFlightCharges,
  type InFlightCharge,
  type QuotaRequest,
  type QuotaState,
} from '../../resources/quota/index.js';
import { StoreError, type Store } from '../../store/index.js';

/** A charge's outcome: allowed (with what settles it once the write's fate is known) or refused. */
export type ChargeResult = { ok: true; finish?: (stored: boolean) => void } | { ok: false; message: string };

interface ChargeWork {
  kind: 'charge';
  request: QuotaRequest;
  /** `pods/web-1`: the record's key. */
  key: string;
  /** A create's object uid, or the resourceVersion an update was made against. */
  of: { uid?: string; rv?: string };
  dryRun: boolean;
  /** Quotas whose charge for this write is stored. */
  touched: Set<string>;
  /** True once `done` was called. */
  finished: boolean;
  done(result: ChargeResult | Error): void;
}

interface SettleWork {
  kind: 'settle';
  key: string;
  quotas: Set<string>;
  stored: boolean;
}

type Work = ChargeWork | SettleWork;

/** A quota being changed in one round. */
interface Draft {
  object: KubeObject;
  state: QuotaState;
  records: Map<string, InFlightCharge>;
  changed: boolean;
}

/** Rounds of re-reading quotas whose write lost a race before a charge fails with 409. */
const MAX_ROUNDS = 5;

/**
 * Charges ResourceQuotas atomically, as kube-apiserver's quota evaluator: writes waiting on one
 * namespace are checked together against fresh copies of its quotas (one store list), and each
 * changed quota is written once with its resourceVersion as precondition, so two charges — from
 * this process or from another server sharing the store — can never both fit into the last unit
 * of a quota: the loser re-reads and is checked again. A charge also leaves an in-flight record
 * (see IN_FLIGHT_ANNOTATION) that is removed once the write is stored, or removed and refunded
 * when it failed, so the quota is exact even when a create fails after admission.
 */
export class QuotaCharger {
  private readonly queues = new Map<string, Work[]>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Checks and (unless `dryRun`) charges a write to the quotas of `namespace`. */
  charge(
    namespace: string,
    request: QuotaRequest,
    options: { key: string; dryRun: boolean; of: { uid?: string; rv?: string } },
  ): Promise<ChargeResult> {
    return new Promise((resolve, reject) => {
      const work: ChargeWork = {
        kind: 'charge',
        request,
        key: options.key,
        of: options.of,
        dryRun: options.dryRun,
        touched: new Set(),
        finished: false,
        done: (result) => {
          if (work.finished) return;
          work.finished = true;
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
      };
      this.enqueue(namespace, work);
    });
  }

  private enqueue(namespace: string, work: Work): void {
    const queue = this.queues.get(namespace);
    if (queue !== undefined) {
      queue.push(work);
      return;
    }
    this.queues.set(namespace, [work]);
    void this.drain(namespace);
  }

  private settle(namespace: string, key: string, quotas: Set<string>, stored: boolean): void {
    if (quotas.size > 0) this.enqueue(namespace, { kind: 'settle', key, quotas, stored });
  }

  /** Processes the namespace's queued work, a batch at a time, until none is left. */
  private async drain(namespace: string): Promise<void> {
    for (;;) {
      const batch = this.queues.get(namespace) ?? [];
      if (batch.length === 0) {
        this.queues.delete(namespace);
        return;
      }
      this.queues.set(namespace, []);
      try {
        await this.process(namespace, batch);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        for (const w of batch) {
          if (w.kind !== 'charge' || w.finished) continue;
          w.done(error);
          this.settle(namespace, w.key, w.touched, false);
        }
      }
    }
  }

  private async process(namespace: string, batch: Work[]): Promise<void> {
    let charges = batch.filter((w): w is ChargeWork => w.kind === 'charge');
    let settles = batch.filter((w): w is SettleWork => w.kind === 'settle');
    let only: Set<string> | undefined;
    for (let round = 0; round < MAX_ROUNDS && (charges.length > 0 || settles.length > 0); round++) {
      const drafts = await this.drafts(namespace, only);
      const now = this.clock.now();
      for (const s of settles) this.applySettle(drafts, s);
      const charged = new Map<ChargeWork, Set<string>>();
      for (const c of charges) {
        const names = this.applyCharge(namespace, drafts, c, now);
        if (names !== undefined) charged.set(c, names);
      }
      const outcomes = await this.write(drafts, now);
      const failed = new Set([...outcomes].filter(([, o]) => o !== 'ok').map(([n]) => n));
      const retry: ChargeWork[] = [];
      for (const [c, names] of charged) {
        for (const n of names) if (outcomes.get(n) === 'ok') c.touched.add(n);
        const error = [...names].map((n) => outcomes.get(n)).find((o) => o instanceof Error);
        if (error instanceof Error) {
          c.done(error);
          this.settle(namespace, c.key, c.touched, false);
        } else if ([...names].some((n) => failed.has(n))) {
          retry.push(c);
        } else {
          c.done({ ok: true, finish: (stored) => this.settle(namespace, c.key, c.touched, stored) });
        }
      }
      charges = retry;
      settles = settles
        .map((s) => ({ ...s, quotas: new Set([...s.quotas].filter((n) => outcomes.get(n) === 'conflict')) }))
        .filter((s) => s.quotas.size > 0);
      only = failed;
    }
    for (const c of charges) {
      c.done(
        new StoreError('STORE_CONFLICT', 409, 'resource quota evaluation failed: the quota kept changing'),
      );
      this.settle(namespace, c.key, c.touched, false);
    }
  }

  /** Writes the changed drafts, each with its resourceVersion as precondition: ok, conflict or the error. */
  private async write(
    drafts: Map<string, Draft>,
    now: number,
  ): Promise<Map<string, 'ok' | 'conflict' | Error>> {
    const outcomes = new Map<string, 'ok' | 'conflict' | Error>();
    await Promise.all(
      [...drafts].map(async ([name, d]) => {
        if (!d.changed) return;
        const status = { ...(d.object.status as object), used: resourceListJson(d.state.used) };
        try {
          await this.store.update('resourcequotas', {
            ...withInFlightCharges(d.object, liveCharges(d.records, now)),
            status,
          });
          outcomes.set(name, 'ok');
        } catch (err) {
          const conflict = hasCode(err, 'STORE_CONFLICT') || hasCode(err, 'STORE_NOT_FOUND');
          outcomes.set(name, conflict ? 'conflict' : err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    return outcomes;
  }

  /** Fresh copies of the namespace's quotas (all, or those named). */
  private async drafts(namespace: string, only: Set<string> | undefined): Promise<Map<string, Draft>> {
    const listed = await this.store.list('resourcequotas', { namespace });
    const drafts = new Map<string, Draft>();
    for (const object of listed.items) {
      const name = object.metadata.name ?? '';
      if (only !== undefined && !only.has(name)) continue;
      drafts.set(name, {
        object,
        state: quotaState(object),
        records: inFlightCharges(object),
        changed: false,
      });
    }
    return drafts;
  }

  /** Removes a write's records; a failed write also gets its charge back. */
  private applySettle(drafts: Map<string, Draft>, s: SettleWork): void {
    for (const name of s.quotas) {
      const d = drafts.get(name);
      const record = d?.records.get(s.key);
      if (d === undefined || record === undefined) continue;
      d.records.delete(s.key);
      // A failed create gives its charge back. A failed update only drops its record: another
      // write may have moved the object on, and the controller's recount settles it.
      if (!s.stored && record.rv === undefined)
        d.state.used = subtractNonNegative(d.state.used, parseResourceList(record.usage));
      d.changed = true;
    }
  }

  /** Checks one charge against the drafts and applies it; the quotas charged, or undefined when it is decided. */
  private applyCharge(
    namespace: string,
    drafts: Map<string, Draft>,
    c: ChargeWork,
    now: number,
  ): Set<string> | undefined {
    const verdict = checkQuotaRequest(
      [...drafts.values()].map((d) => d.state),
      c.request,
    );
    if (!verdict.ok) {
      c.done(verdict);
      this.settle(namespace, c.key, c.touched, false);
      return undefined;
    }
    if (c.dryRun || verdict.charges.size === 0) {
      c.done({
        ok: true,
        ...(c.touched.size > 0
          ? { finish: (stored) => this.settle(namespace, c.key, c.touched, stored) }
          : {}),
      });
      return undefined;
    }
    const names = new Set<string>();
    for (const [name, charge] of verdict.charges) {
      const d = drafts.get(name);
      if (d === undefined) continue;
      d.state.used = addLists(d.state.used, charge);
      d.records.set(c.key, inFlightCharge(charge, now, c.of));
      d.changed = true;
      names.add(name);
    }
    return names;
  }
}
