/**
 * What `bin/stratus` sets when it starts node (its shebang line): benchmarks that run a Stratus
 * part from its compiled module rather than through bin/stratus start it the same way, so its
 * memory and CPU are what users get. Keep in step with bin/stratus.
 */
export const STRATUS_NODE_FLAGS: readonly string[] = ['--v8-pool-size=1'];

/** The environment bin/stratus adds: two malloc arenas instead of one per thread. */
export const STRATUS_NODE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
