/**
 * Kubernetes resource quantities (`500m`, `2`, `1Gi`, `1e3`, `128974848`), parsed to numbers in
 * base units: cores for cpu (so `500m` is 0.5), bytes for memory and storage. Pure.
 */
const SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/;

/** The value of a quantity in base units, or undefined when it is not a valid quantity. */
export function parseQuantity(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const m = QUANTITY.exec(value.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  return base * (SUFFIXES[m[3] ?? ''] ?? 1);
}

/** True when `value` is a well-formed quantity. */
export function isQuantity(value: unknown): boolean {
  return (typeof value === 'string' || typeof value === 'number') && parseQuantity(value) !== undefined;
}

/** Formats bytes with the largest binary suffix that divides them (`1Gi`, `1536Mi`). */
export function formatBytes(bytes: number): string {
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    const unit = SUFFIXES[suffix] ?? 1;
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

/** Formats cores as Kubernetes does: whole cores plain, fractions in millicores (`250m`). */
export function formatCpu(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`;
}
