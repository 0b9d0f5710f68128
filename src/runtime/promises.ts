/** Small promise helpers for the runtime's lifecycle code. */

/** Runs `fn`, turning a synchronous throw into a rejection so callers see one failure path. */
export function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
/** Waits for `p`, but at most `ms`; the timer is cleared so it holds no process open. */
export async function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
