import { describe } from 'node:test';
import { crudContract } from './contract/crud.js';
import { listContract } from './contract/list.js';
import { watchContract } from './contract/watch.js';
import type { StoreFactory } from './contract/helpers.js';

export type { StoreFactory, StoreHandle } from './contract/helpers.js';

/**
 * Registers the node:test suite every Store implementation must pass: CRUD and preconditions,
 * namespaces and cluster scope, selectors, paging, watch replay and live delivery, selector
 * transitions, compaction and 410, and revisions that stay monotonic across a reopen. It uses
 * only the Store interface, so the etcd store runs it unchanged. `open` is called once per test
 * and must return an empty store; the suite closes the store and then calls `cleanup`.
 */
export function runStoreContract(name: string, open: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    crudContract(open);
    listContract(open);
    watchContract(open);
  });
}
