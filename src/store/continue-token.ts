import { invalidContinue } from './errors.js';

/**
 * The position a list page stopped at: the revision the listing started at (for 410 when it has
 * been compacted) and the last key returned. Pages resume strictly after `(namespace, name)`.
 */
export interface ContinuePosition {
  revision: number;
  namespace: string;
  name: string;
}

/** Encodes a position as the opaque `continue` string: base64url of a small JSON document. */
export function encodeContinue(position: ContinuePosition): string {
  const json = JSON.stringify({ v: 1, rv: position.revision, ns: position.namespace, n: position.name });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** Decodes a `continue` string; throws STORE_INVALID_CONTINUE (400) for anything we did not issue. */
export function decodeContinue(token: string): ContinuePosition {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidContinue(token, 'not a token issued by this server');
  }
  if (typeof doc !== 'object' || doc === null)
    throw invalidContinue(token, 'not a token issued by this server');
  const d = doc as Record<string, unknown>;
  if (d['v'] !== 1 || typeof d['ns'] !== 'string' || typeof d['n'] !== 'string') {
    throw invalidContinue(token, 'not a token issued by this server');
  }
  const rv = d['rv'];
  if (typeof rv !== 'number' || !Number.isSafeInteger(rv) || rv < 0) {
    throw invalidContinue(token, 'bad revision');
  }
  return { revision: rv, namespace: d['ns'], name: d['n'] };
}
