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
export { decodePoints, encodePoints, type UsagePoint } from './usage-codec.js';
export { alignDown, resample, rollup, totals, USAGE_TIERS, type UsageTier } from './usage-rollup.js';
export {
  SERIES_WIDTH,
  UsageDb,
  type SeriesInfo,
  type SeriesKind,
  type SeriesUsage,
  type UsageDbOptions,
} from './usage-db.js';
export { S3UsageCounter, type BucketTraffic } from './s3-usage.js';
export {
  addTotals,
  costOf,
  emptyTotals,
  formatMicros,
  formatRatio,
  parseMicros,
  type Prices,
  type UsageTotals,
} from './cost.js';
export {
  groupKey,
  groupUsage,
  seriesDemand,
  seriesTotals,
  toCsv,
  usageCells,
  type GroupBy,
  type UsageItem,
  type UsageRow,
} from './usage-report.js';
export {
  correlation,
  demandStats,
  pool,
  smoothness,
  utilityVerdict,
  type DemandStats,
  type PairCorrelation,
  type SmoothnessReport,
} from './smoothness.js';
export { SeededRandom } from './seeded-random.js';
export { formatDemand, smoothnessText, sparkline } from './smoothness-report.js';
export { smoothnessSvg } from './smoothness-svg.js';
