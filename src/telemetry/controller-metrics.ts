import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** client-go's workqueue buckets for work duration (1 µs … 10 s, ×10). */
const WORK_BUCKETS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10];

/**
 * The controllers' and the scheduler's metrics with kube-controller-manager's and
 * kube-scheduler's names: per work queue (`name` label = the controller) `workqueue_depth`
 * (read at scrape time), `workqueue_adds_total` and the reconcile latency
 * `workqueue_work_duration_seconds`; and `scheduler_schedule_attempts_total{result, profile}`.
 * `register` is the controllers' WorkQueueMetricsProvider, `scheduleAttempt` the scheduler's hook.
 */
export class ControllerMetrics {
  private readonly depths = new Map<string, () => number>();
  private readonly adds: Counter<'name'>;
  private readonly work: Histogram<'name'>;
  private readonly attempts: Counter<'result' | 'profile'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const depths = this.depths;
    new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name'],
      registers,
      collect() {
        for (const [name, depth] of depths) this.set({ name }, depth());
      },
    });
    this.adds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    this.work = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames: ['name'],
      buckets: WORK_BUCKETS,
      registers,
    });
    this.attempts = new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result. unschedulable means a pod could not be scheduled, while error means an internal scheduler problem.',
      labelNames: ['result', 'profile'],
      registers,
    });
  }

  /** Registers one controller's queue; returns what it calls on each add and each reconcile. */
  register = (name: string, depth: () => number): { added(): void; processed(seconds: number): void } => {
    this.depths.set(name, depth);
    this.adds.inc({ name }, 0);
    return {
      added: () => this.adds.inc({ name }),
      processed: (seconds) => this.work.observe({ name }, seconds),
    };
  };

  /** Counts one scheduling attempt of the default profile. */
  scheduleAttempt = (result: 'scheduled' | 'unschedulable' | 'error'): void => {
    this.attempts.inc({ result, profile: 'default-scheduler' });
  };
}
