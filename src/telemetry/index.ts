/**
 * Telemetry: the resource usage of nodes and containers (the agent's collector, the
 * `metrics.k8s.io` objects the API serves from it, the tables `stratus top` prints).
 */
export {
  cpuQuantity,
  goDuration,
  memoryQuantity,
  summarize,
  type ContainerSample,
  type CumulativeUsage,
  type NodeSample,
  type PodUsage,
  type ResourceSummary,
  type Usage,
} from './resource-usage.js';
export { parseMeminfo, parseProcStat, readNodeUsage } from './node-usage.js';
export { ResourceCollector, type ResourceCollectorOptions } from './resource-collector.js';
export { METRICS_GROUP, METRICS_VERSION, metricsList, nodeMetrics, podMetrics } from './metrics-api.js';
export { topNodesTable, topPodsTable, type TopTable } from './top-table.js';
export { createMetricsRegistry, renderMetrics, type Registry } from './prometheus.js';
export { S3Metrics, ServerMetrics, type ApiRequestLabels, type S3RequestRecord } from './server-metrics.js';
export { registerAgentMetrics, type AgentMetricsSource } from './agent-metrics.js';
export { registerObjectStateMetrics, type ObjectStateSource } from './object-state-metrics.js';
export { ControllerMetrics } from './controller-metrics.js';
