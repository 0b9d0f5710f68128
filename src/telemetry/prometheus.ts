import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A Prometheus registry for one process role (server, agent), with prom-client's process and
 * Node.js metrics (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, …) unless
 * `processMetrics` is false.
 */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters, which `promtool check metrics` refuses; the per-type gauges
    // without the suffix (`nodejs_active_handles{type=…}`) hold the same figures.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ])
      registry.removeSingleMetric(name);
  }
  return registry;
}

/** The text exposition format of a registry, with its content type. */
export async function renderMetrics(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

export type { Registry } from 'prom-client';
