import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../sqlite-store.js';
import { runStoreContract } from '../store-contract.js';
import { WatchCache } from './watch-cache.js';

/** The resources the contract suite writes, loaded before it writes when the cache starts eagerly. */
const CONTRACT_RESOURCES = ['pods', 'services', 'configmaps', 'nodes'];

function cacheContract(name: string, eager: boolean): void {
  runStoreContract(name, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-cache-'));
    const path = join(dir, 'state.db');
    const open = async (): Promise<WatchCache> => {
      const cache = new WatchCache(await SqliteStore.open(path, { compactIntervalMs: 0 }), {
        indexes: { pods: ['spec.nodeName'] },
      });
      if (eager) await cache.start(CONTRACT_RESOURCES);
      return cache;
    };
    return { store: await open(), reopen: open, cleanup: () => rm(dir, { recursive: true, force: true }) };
  });
}

// Loaded before the suite writes: every read, replay and snapshot comes from the cache's memory.
cacheContract('watch cache over sqlite, loaded first', true);
// Loaded at first use: replays from before the cache existed come from the store's history.
cacheContract('watch cache over sqlite, loaded on first use', false);
