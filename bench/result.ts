/**
 * One measured figure of a benchmark: Stratus's value, and the same measure of a peer taken in
 * the same run (HAProxy, nginx, a plain file copy …) so that the ratio, not the absolute number
 * that depends on the machine, is what BENCHMARKS.md records.
 */
export interface BenchResult {
  /** What was measured: `api create pods/s`. */
  name: string;
  value: number;
  /** `ops/s`, `ms`, `MB/s` … */
  unit: string;
  /** The peer's value, in the same unit. */
  peer?: { name: string; value: number };
  /** value / peer.value (or as the benchmark defines it, when lower is better). */
  ratio?: number;
  /** The goal the ratio is held to: `>= 0.5 of etcd`. */
  goal?: string;
}
