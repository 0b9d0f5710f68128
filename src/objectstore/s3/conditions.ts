/** The validators of an object that conditional requests compare against. */
export interface Validators {
  /** Quoted ETag. */
  etag: string;
  lastModified: Date;
}

/** Conditional request headers, as sent. */
export interface Conditions {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifUnmodifiedSince?: string | undefined;
}

function etagMatches(list: string, etag: string): boolean {
  const bare = etag.replace(/^"|"$/g, '');
  return list.split(',').some((raw) => {
    const t = raw.trim().replace(/^W\//, '');
    return t === '*' || t.replace(/^"|"$/g, '') === bare;
  });
}

function parseDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * Evaluates conditional headers as S3 does for GET and HEAD: `If-Match` wins over
 * `If-Unmodified-Since` (412 when the winner fails) and `If-None-Match` over `If-Modified-Since`
 * (304). Dates compare at whole seconds; unparsable dates are ignored. Returns the status to
 * answer with, or undefined to proceed.
 */
export function evaluateConditions(c: Conditions, v: Validators): 304 | 412 | undefined {
  const modified = Math.floor(v.lastModified.getTime() / 1000);
  if (c.ifMatch !== undefined) {
    if (!etagMatches(c.ifMatch, v.etag)) return 412;
  } else {
    const since = parseDate(c.ifUnmodifiedSince);
    if (since !== undefined && modified > since) return 412;
  }
  if (c.ifNoneMatch !== undefined) {
    if (etagMatches(c.ifNoneMatch, v.etag)) return 304;
  } else {
    const since = parseDate(c.ifModifiedSince);
    if (since !== undefined && modified <= since) return 304;
  }
  return undefined;
}

/** Evaluates x-amz-copy-source-if-* headers: every failure is 412, as S3 answers CopyObject. */
export function evaluateCopyConditions(c: Conditions, v: Validators): 412 | undefined {
  return evaluateConditions(c, v) === undefined ? undefined : 412;
}
