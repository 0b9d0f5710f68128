import type { KubeClient } from '../client/index.js';
import { systemClock, type Clock } from '../common/clock.js';
import { ControllerError } from './errors.js';
import {
  Controller,
  InformerFactory,
  type Runnable,
  type WorkQueueMetricsProvider,
} from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import { CONTROLLERS, type ControllerFactory } from './controller-registry.js';
import { EventRecorder } from '../client/index.js';

/** Options of startControllerManager; every field but `client` has a default. */
export interface ControllerManagerOptions {
  /** How the manager reaches the API server (an admin or controller-manager identity). */
  client: KubeClient;
  /** Default: the system clock. */
  clock?: Clock;
  /** Which controllers to run, by registry name (`replicaset`, `deployment`, `scheduler`, …); default all. */
  controllers?: string[];
  /** Scheduler settings; default `{strategy: 'binpack'}`, attempts not reported. */
  scheduler?: {
    strategy?: 'binpack' | 'spread';
    onAttempt?: (result: 'scheduled' | 'unschedulable' | 'error') => void;
  };
  /** Extra factories (tests, or parts outside this folder) merged over the registry. */
  extra?: Record<string, ControllerFactory>;
  /** Receives reconcile failures (they are retried with back-off); default: ignored. */
  onError?: (controller: string, key: string, err: unknown) => void;
  /** Bound on waiting for the caches to fill; default 30 s. */
  syncTimeoutMs?: number;
  /** Where the controllers report their work queues (`workqueue_*` metrics); default nowhere. */
  workQueueMetrics?: WorkQueueMetricsProvider;
}

/** A running controller manager. */
export interface ControllerManager {
  /** The names of the controllers running. */
  controllers: string[];
  /** The shared caches the controllers read (for scrape-time object metrics). */
  informers: InformerFactory;
  close(): Promise<void>;
}

/**
 * Starts the controllers (kube-controller-manager and the scheduler in one): builds the shared
 * informers, creates each selected controller from the registry, waits for the caches to sync
 * and starts their workers. `close()` stops the controllers, then the informers and Event writes.
 */
export async function startControllerManager(options: ControllerManagerOptions): Promise<ControllerManager> {
  const registry = { ...CONTROLLERS, ...options.extra };
  const names = options.controllers ?? Object.keys(registry);
  for (const name of names) {
    if (!registry[name])
      throw new ControllerError(`unknown controller "${name}" (known: ${Object.keys(registry).join(', ')})`);
  }
  const clock = options.clock ?? systemClock;
  const informers = new InformerFactory(options.client);
  const recorders: EventRecorder[] = [];
  const ctx: ControllerContext = {
    client: options.client,
    informers,
    clock,
    recorder: (component) => {
      const r = new EventRecorder(options.client, { component, clock });
      recorders.push(r);
      return r;
    },
    scheduler: {
      strategy: options.scheduler?.strategy ?? 'binpack',
      ...(options.scheduler?.onAttempt ? { onAttempt: options.scheduler.onAttempt } : {}),
    },
    ...(options.onError ? { onError: options.onError } : {}),
  };
  const running: Runnable[] = names.map((name) => registry[name]!(ctx));
  if (options.workQueueMetrics !== undefined) {
    for (const r of running) if (r instanceof Controller) r.instrument(options.workQueueMetrics);
  }
  const close = async (): Promise<void> => {
    await Promise.all(running.map((r) => r.close()));
    await informers.close();
    await Promise.all(recorders.map((r) => r.close()));
  };
  try {
    await Promise.all(running.map((r) => r.start({ timeoutMs: options.syncTimeoutMs ?? 30_000 })));
  } catch (err) {
    await close();
    throw err;
  }
  return { controllers: names, informers, close };
}
