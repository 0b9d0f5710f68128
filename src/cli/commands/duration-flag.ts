import { flagString, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a Go duration (`40s`, `5m0s`, `1m30s`, `500ms`, `1.5h`) into milliseconds, the format
 * kube-controller-manager and the kubelet take for their timing flags, so the same values work
 * here. Returns undefined for anything else (a bare number has no unit and is refused).
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const m = part.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * UNITS[m[2] ?? '']!;
    at = part.lastIndex;
  }
  return at === 0 ? undefined : total;
}

/**
 * A duration flag's value in milliseconds (undefined when absent); a value that is not a Go
 * duration, or is below `min` ms (default 1), is a UsageError naming the flag and the value.
 */
export function durationFlag(
  values: FlagValues,
  flag: string,
  options: { command: string; min?: number },
): number | undefined {
  const text = flagString(values, flag);
  if (text === undefined) return undefined;
  const ms = parseGoDuration(text);
  const min = options.min ?? 1;
  if (ms === undefined || ms < min) {
    throw new UsageError(
      `--${flag} must be a duration of at least ${min} ms such as 40s or 5m0s, not "${text}"`,
      options.command,
    );
  }
  return ms;
}
