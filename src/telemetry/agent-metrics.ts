import { Counter, Gauge, type Registry } from 'prom-client';
import type { ContainerSample, CumulativeUsage } from './resource-usage.js';

/** What the agent's metrics read at each scrape. */
export interface AgentMetricsSource {
  /** The latest sample's containers and node counters (the ResourceCollector's). */
  latest(): { containers: ContainerSample[]; node?: CumulativeUsage } | undefined;
  /** Pods the agent runs now. */
  runningPods(): number;
}

/**
 * The node agent's metrics, read from its last resource sample at each scrape (no second
 * sampling): cAdvisor's `container_cpu_usage_seconds_total` and
 * `container_memory_working_set_bytes` per container, kubelet's `node_cpu_usage_seconds_total`,
 * `node_memory_working_set_bytes`, `kubelet_running_pods` and `kubelet_running_containers`.
 */
export function registerAgentMetrics(registry: Registry, source: AgentMetricsSource): void {
  const registers = [registry];
  const labelNames = ['namespace', 'pod', 'container'] as const;
  const labels = (c: ContainerSample): Record<(typeof labelNames)[number], string> => ({
    namespace: c.namespace,
    pod: c.pod,
    container: c.container,
  });
  new Counter({
    name: 'container_cpu_usage_seconds_total',
    help: 'Cumulative CPU time consumed by the container in seconds.',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const c of source.latest()?.containers ?? []) this.inc(labels(c), c.usage.cpuSeconds);
    },
  });
  new Gauge({
    name: 'container_memory_working_set_bytes',
    help: 'Current working set of the container in bytes.',
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const c of source.latest()?.containers ?? []) this.set(labels(c), c.usage.memoryBytes);
    },
  });
  new Counter({
    name: 'node_cpu_usage_seconds_total',
    help: 'Cumulative CPU time consumed by the node in core-seconds.',
    registers,
    collect() {
      this.reset();
      const node = source.latest()?.node;
      if (node !== undefined) this.inc(node.cpuSeconds);
    },
  });
  new Gauge({
    name: 'node_memory_working_set_bytes',
    help: 'Current working set of the node in bytes.',
    registers,
    collect() {
      const node = source.latest()?.node;
      if (node !== undefined) this.set(node.memoryBytes);
    },
  });
  new Gauge({
    name: 'kubelet_running_pods',
    help: 'Number of pods the agent runs.',
    registers,
    collect() {
      this.set(source.runningPods());
    },
  });
  new Gauge({
    name: 'kubelet_running_containers',
    help: 'Number of running containers, from the last resource sample.',
    labelNames: ['container_state'],
    registers,
    collect() {
      this.set({ container_state: 'running' }, source.latest()?.containers.length ?? 0);
    },
  });
}
