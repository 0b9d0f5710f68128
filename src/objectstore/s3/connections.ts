import { randomBytes } from 'node:crypto';
import type { ConnectionLimits, Refusal } from '../../connections/index.js';
import { errorXml } from './errors-xml.js';

/**
 * The S3 port's connection limits: request headers within 30 s of connecting, the next request
 * on a keep-alive connection within 5 s (node's default), no limit on a whole request (uploads
 * that keep moving may take hours; `idleTimeoutMs` closes one that stops).
 */
export const S3_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  requestTimeoutMs: 0,
};

/** The answer to a connection over a cap: S3's 503 SlowDown, and the connection closes. */
export function slowDown(why: Refusal): string {
  const xml = errorXml(
    {
      status: 503,
      code: 'SlowDown',
      message:
        why === 'client'
          ? 'Please reduce your request rate: this client has as many connections open as it may'
          : 'Please reduce your request rate: the server has as many connections open as it may',
      extra: {},
    },
    '/',
    randomBytes(8).toString('hex').toUpperCase(),
  );
  return (
    'HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n' +
    `Content-Length: ${Buffer.byteLength(xml)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${xml}`
  );
}
