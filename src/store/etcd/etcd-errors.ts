/** Recognizers of etcd's errors, as their messages name them (no gRPC import, so no load cost). */

/** etcd's "required revision has been compacted" (a read or continue token below compaction). */
export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && /required revision has been compacted/.test(err.message);
}

/** etcd's "required revision is a future revision". */
export function isFutureRevisionError(err: unknown): boolean {
  return err instanceof Error && /required revision is a future revision/.test(err.message);
}
