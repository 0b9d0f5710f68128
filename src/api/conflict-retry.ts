import { hasCode } from '../common/stratus-error.js';

/** Attempts at a write that keeps losing races with other writers (kube-apiserver retries 5 times too). */
export const CONFLICT_ATTEMPTS = 5;

/**
 * Runs `write` (which reads the current object and writes what it derives from it) again while it
 * fails with the error code `conflictCode`, at most CONFLICT_ATTEMPTS times in all; the last
 * failure is rethrown. A write naming a resourceVersion keeps failing, so it still ends in 409.
 */
export async function retryOnConflict<T>(conflictCode: string, write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!hasCode(err, conflictCode) || attempt >= CONFLICT_ATTEMPTS) throw err;
    }
  }
}
