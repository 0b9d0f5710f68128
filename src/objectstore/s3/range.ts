import { ObjectStoreError } from '../errors.js';

/** An inclusive byte range resolved against an object's size. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Resolves a `Range: bytes=…` header against an object's size, as S3 does: a single range
 * `a-b`, open `a-` or suffix `-n`; syntax S3 does not serve (several ranges, other units, junk)
 * is ignored and the whole object returned (undefined); a range starting past the end is
 * `InvalidRange` (416). Ranges on an empty object are ignored.
 */
export function resolveRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header);
  if (m === null) return undefined;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return undefined;
  if (size === 0) return undefined;
  const unsatisfiable = (): ObjectStoreError =>
    new ObjectStoreError(
      'InvalidRange',
      `The requested range ${header} is not satisfiable for an object of ${size} bytes`,
      {
        ActualObjectSize: size,
        RangeRequested: header,
      },
    );
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  if (start >= size) throw unsatisfiable();
  if (b === '') return { start, end: size - 1 };
  const end = Number(b);
  if (end < start) return undefined;
  return { start, end: Math.min(end, size - 1) };
}

/**
 * Resolves `x-amz-copy-source-range: bytes=a-b` (both bounds required) against the source size;
 * anything else is `InvalidArgument`/`InvalidRange`.
 */
export function resolveCopyRange(header: string, size: number): ByteRange {
  const m = /^bytes=(\d+)-(\d+)$/.exec(header.trim());
  if (m === null)
    throw new ObjectStoreError(
      'InvalidArgument',
      `The x-amz-copy-source-range value ${JSON.stringify(header)} must be bytes=first-last`,
    );
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start || end >= size) {
    throw new ObjectStoreError(
      'InvalidRange',
      `The x-amz-copy-source-range ${header} is not satisfiable for a source of ${size} bytes`,
    );
  }
  return { start, end };
}
