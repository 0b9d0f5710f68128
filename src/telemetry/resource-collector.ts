import { systemClock, type Clock } from '../common/clock.js';
import { readNodeUsage } from './node-usage.js';
import {
  summarize,
  type ContainerSample,
  type CumulativeUsage,
  type NodeSample,
  type ResourceSummary,
} from './resource-usage.js';

/** Options of a ResourceCollector. */
export interface ResourceCollectorOptions {
  /** The node's name, reported in the summary. */
  node: string;
  /** The running containers' cumulative counters, read at each round. */
  containers: () => Promise<ContainerSample[]>;
  /** The node's counters; default: `/proc` (`readNodeUsage`). */
  nodeUsage?: () => CumulativeUsage | undefined;
  /** Time between samples; default 15 000 ms, kubelet's housekeeping and metrics-server's resolution. */
  intervalMs?: number;
  /** Timestamps of samples; default: the system clock. */
  clock?: Clock;
  /** Where a failed round's error goes; default: ignored (the previous summary stays). */
  onError?: (err: unknown) => void;
}

/**
 * Samples a node's and its containers' CPU and memory every `intervalMs` and keeps the last two
 * samples, so `summary()` answers at once with the usage between them (the agent's
 * `/stats/resource`). `sample()` runs one round now (tests drive it with a manual clock).
 */
export class ResourceCollector {
  private prev: NodeSample | undefined;
  private cur: NodeSample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly clock: Clock;

  constructor(private readonly options: ResourceCollectorOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Takes a first sample now and then one every interval. */
  start(): void {
    if (this.timer !== undefined) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.options.intervalMs ?? 15_000);
    this.timer.unref();
  }

  /** One sampling round; a round already in progress is joined rather than overlapped. */
  sample(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    try {
      const containers = await this.options.containers();
      const node = (this.options.nodeUsage ?? readNodeUsage)();
      const sample: NodeSample = {
        atMs: this.clock.now(),
        containers,
        ...(node !== undefined ? { node } : {}),
      };
      this.prev = this.cur;
      this.cur = sample;
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  /** The usage between the last two samples (empty until there are two). */
  summary(): ResourceSummary {
    if (this.cur === undefined) {
      return {
        node: this.options.node,
        timestamp: new Date(this.clock.now()).toISOString(),
        windowSeconds: 0,
        pods: [],
      };
    }
    return summarize(this.options.node, this.prev, this.cur);
  }

  /** The newest sample (cumulative counters), for the agent's Prometheus metrics. */
  latest(): NodeSample | undefined {
    return this.cur;
  }

  /** Stops sampling. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
