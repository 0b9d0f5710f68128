import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, tooLarge, unsupportedMediaType } from './errors.js';
import { decodeProtobufObject } from './protobuf-body.js';

/** The largest request body the server reads (Kubernetes' limit is 3 MiB as well). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/**
 * Reads a request body up to `limit` bytes. A larger body fails with 413 as soon as the limit
 * is passed, without buffering the rest.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  // No Content-Length and no Transfer-Encoding means no body (RFC 9112 6.3): a DELETE or GET
  // without one costs no stream listeners.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return Promise.resolve(EMPTY);
  }
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

/**
 * Parses a body as JSON (the common case, tried first) or YAML. Anything that is not a JSON
 * object is a 400 naming what was wrong.
 */
export function parseObjectBody(body: Buffer, contentType: string): Record<string, unknown> {
  if (contentType.includes('protobuf')) return decodeProtobufObject(body);
  if (contentType.includes('cbor')) throw unsupportedMediaType(contentType);
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  let value: unknown;
  const yaml = contentType.includes('yaml');
  try {
    value = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    if (!yaml) {
      try {
        value = parseYaml(text);
      } catch {
        throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
      }
    } else {
      throw badRequest(`the request body is not valid YAML: ${(err as Error).message}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** Parses a body that may be any JSON value (JSON patch documents are arrays). */
export function parseJsonValue(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Sends a JSON reply, serialized once, with its length so keep-alive connections stay open.
 * `warnings` become `Warning: 299 - "…"` headers, which kubectl prints.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
  warnings?: readonly string[],
): void {
  sendJsonText(res, status, JSON.stringify(body), contentType, warnings);
}

/** Sends JSON text made elsewhere (an object as the watch cache holds it) as sendJson does. */
export function sendJsonText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'application/json',
  warnings?: readonly string[],
): void {
  const headers: Record<string, string | string[] | number> = {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache, private',
  };
  if (warnings !== undefined && warnings.length > 0) headers.warning = warnings.map(warningHeader);
  res.writeHead(status, headers);
  res.end(text);
}

/** A list reply up to this size is one string; a larger one is written in pieces as the socket drains. */
const ONE_PIECE_BYTES = 256 * 1024;

/**
 * Sends `{…head, "items": [ITEM, …]}` where each item is JSON text already made (the watch
 * cache's), so a list is never re-serialized. A large list is written in pieces, waiting for the
 * socket to drain, so that it never sits whole in the socket's buffer as well as in the cache.
 */
export async function sendJsonList(
  res: ServerResponse,
  head: Record<string, unknown>,
  items: readonly string[],
): Promise<void> {
  const open = `${JSON.stringify(head).slice(0, -1)},"items":[`;
  const close = ']}';
  let length = Buffer.byteLength(open) + close.length + Math.max(0, items.length - 1);
  for (const item of items) length += Buffer.byteLength(item);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': length,
    'cache-control': 'no-cache, private',
  });
  if (length <= ONE_PIECE_BYTES) {
    res.end(open + items.join(',') + close);
    return;
  }
  let piece = open;
  for (let i = 0; i < items.length; i++) {
    piece += (i > 0 ? ',' : '') + (items[i] as string);
    if (piece.length < ONE_PIECE_BYTES / 4) continue;
    if (!res.write(piece)) await drained(res);
    piece = '';
    if (res.destroyed) return;
  }
  res.end(piece + close);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Sends a plain text reply (health checks). */
export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** One `Warning` header value in RFC 7234 form, as Kubernetes sends it. */
export function warningHeader(text: string): string {
  return `299 - "${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** True when the Accept header asks for a meta.k8s.io Table. */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('as=Table');
}

/** True when the Accept header asks for PartialObjectMetadata (or its list). */
export function wantsPartialMetadata(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('as=PartialObjectMetadata') && !wantsTable(accept);
}
