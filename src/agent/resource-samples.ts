import type { ContainerStats, Runtime } from '../runtime/index.js';
import type { ContainerSample } from '../telemetry/index.js';
import type { PodWorker } from './pod-worker.js';

/**
 * The cumulative counters of every running container of the node's pods, read through the
 * runtime (its cgroup when the container has one, else its process group from `/proc`, in one
 * scan for all of them when the runtime offers `statsMany`). A container that exits between
 * the listing and the read is left out.
 */
export async function containerSamples(
  runtime: Runtime,
  workers: Iterable<PodWorker>,
): Promise<ContainerSample[]> {
  const running: Omit<ContainerSample, 'usage'>[] = [];
  for (const w of workers) {
    const meta = w.pod.metadata ?? {};
    for (const slot of w.slots.values()) {
      if (slot.id === undefined || slot.init || slot.status?.state !== 'running') continue;
      running.push({
        namespace: meta.namespace ?? '',
        pod: meta.name ?? '',
        podUid: meta.uid ?? '',
        container: slot.name,
        id: slot.id,
      });
    }
  }
  const ids = running.map((c) => c.id);
  let stats: Map<string, ContainerStats>;
  if (runtime.statsMany !== undefined) stats = await runtime.statsMany(ids);
  else {
    stats = new Map();
    for (const id of ids) {
      const s = await runtime.stats(id).catch(() => undefined);
      if (s !== undefined) stats.set(id, s);
    }
  }
  return running.flatMap((c) => {
    const s = stats.get(c.id);
    return s === undefined ? [] : [{ ...c, usage: { cpuSeconds: s.cpuSeconds, memoryBytes: s.memoryBytes } }];
  });
}
