import type { Runtime } from '../runtime/index.js';
import type { ContainerSample } from '../telemetry/index.js';
import type { PodWorker } from './pod-worker.js';

/**
 * The cumulative counters of every running container of the node's pods, read through the
 * runtime (its cgroup when the container has one, else its process group from `/proc`). A
 * container that exits between the listing and the read is left out.
 */
export async function containerSamples(
  runtime: Runtime,
  workers: Iterable<PodWorker>,
): Promise<ContainerSample[]> {
  const out: ContainerSample[] = [];
  for (const w of workers) {
    const meta = w.pod.metadata ?? {};
    for (const slot of w.slots.values()) {
      if (slot.id === undefined || slot.init || slot.status?.state !== 'running') continue;
      try {
        const stats = await runtime.stats(slot.id);
        out.push({
          namespace: meta.namespace ?? '',
          pod: meta.name ?? '',
          podUid: meta.uid ?? '',
          container: slot.name,
          id: slot.id,
          usage: { cpuSeconds: stats.cpuSeconds, memoryBytes: stats.memoryBytes },
        });
      } catch {
        // gone meanwhile: no sample
      }
    }
  }
  return out;
}
