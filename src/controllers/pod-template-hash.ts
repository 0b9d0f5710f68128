/**
 * The `pod-template-hash` of a Deployment's pod template, as Kubernetes computes it in spirit:
 * FNV-32a over a canonical (key-sorted) JSON of the template, plus the collision count, printed
 * in the safe alphabet of generated names. Equal templates always get the same hash, so a
 * rollback finds its old ReplicaSet again. Pure.
 */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  const text = canonicalJson(template) + (collisionCount > 0 ? String(collisionCount) : '');
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return safeEncode(String(h >>> 0));
}

/** JSON with object keys sorted at every level; undefined members are dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** Kubernetes' rand.SafeEncodeString: maps each character onto the no-vowel alphabet. */
function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}
