/**
 * A boolean query parameter as kube-apiserver reads one (apimachinery's
 * `Convert_Slice_string_To_bool`, used for `watch`, `allowWatchBookmarks`, `sendInitialEvents`,
 * `orphanDependents`, `force`, and the log options): absent is `absent`, `0` and `false` in any
 * case are false, and every other value, the empty one included, is true. So `watch=True` (what
 * the Python client sends) and `watch=1` start a watch, and no value is ever refused.
 */
export function queryBool(query: URLSearchParams, name: string, absent = false): boolean {
  const value = query.get(name);
  if (value === null) return absent;
  return value !== '0' && value.toLowerCase() !== 'false';
}
