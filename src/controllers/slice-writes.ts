import { StatusError, type KubeClient } from '../client/index.js';
import { objectKey } from '../machinery/index.js';
import type { SlicePlan } from './endpointslice-plan.js';
import type { WriteTracker } from './write-tracker.js';

/**
 * Writes a slice plan of group `key` in `namespace` (creates, updates, then deletes; a slice
 * already gone is fine), telling `written` each write so the next pass waits for the cache.
 */
export async function writeSlicePlan(
  client: KubeClient,
  plan: SlicePlan,
  key: string,
  namespace: string,
  written: WriteTracker,
): Promise<void> {
  for (const slice of [...plan.create, ...plan.update]) {
    const stored = slice.metadata.name
      ? await client.update('endpointslices', slice)
      : await client.create('endpointslices', slice);
    written.wrote(key, objectKey(stored), stored);
  }
  for (const slice of plan.delete) {
    try {
      await client.delete('endpointslices', slice.metadata.name ?? '', { namespace });
      written.deleted(key, objectKey(slice));
    } catch (err) {
      if (!(err instanceof StatusError && err.status === 404)) throw err;
    }
  }
}
