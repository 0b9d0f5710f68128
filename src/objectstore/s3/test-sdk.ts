import assert from 'node:assert/strict';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { startUpGateway } from '../../cli/testing.js';
import { sdkClient, type TestGateway } from './test-gateway.js';
import type { AccessKey } from './credentials.js';

/** An SDK client for the gateway with a key pair (its own by default), trusting its CA. */
export function client(g: TestGateway, key: AccessKey = g.key): S3Client {
  return sdkClient(g.url, key, { ca: g.ca });
}

/** Asserts that a call fails with this S3 error name (and status). */
export async function s3Error(p: Promise<unknown>, name: string, status?: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof S3ServiceException, String(e));
    assert.equal(e.name, name);
    if (status !== undefined) assert.equal(e.$metadata.httpStatusCode, status);
    return true;
  });
}

/** Runs `fn` against a fresh `stratus up` endpoint and an SDK client with its admin key, closing both after. */
export async function withGateway(fn: (g: TestGateway, c: S3Client) => Promise<void>): Promise<void> {
  const g = await startUpGateway();
  const c = client(g);
  try {
    await fn(g, c);
  } finally {
    c.destroy();
    await g.close();
  }
}
