import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestSigner, signRequest, sha256Hex } from './sigv4-signer.js';
import { createHash } from 'node:crypto';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

test('RequestSigner signs exactly as signRequest, across a change of date and region', () => {
  const signer = new RequestSigner(creds);
  const day1 = Date.UTC(2026, 0, 1, 23, 59, 59);
  const day2 = day1 + 2000;
  for (const now of [day1, day1 + 1000, day2, day1]) {
    const request = { method: 'PUT', url: 'http://127.0.0.1:9000/b/a%20key?x=1', body: 'hello' };
    assert.deepEqual(signer.sign(request, { now }), signRequest(request, creds, { now }));
  }
  const west = new RequestSigner({ ...creds, region: 'eu-west-1' });
  const request = { method: 'GET', url: 'http://127.0.0.1:9000/b/k' };
  assert.deepEqual(
    west.sign(request, { now: day2 }),
    signRequest(request, { ...creds, region: 'eu-west-1' }, { now: day2 }),
  );
  assert.notDeepEqual(west.sign(request, { now: day2 }), signer.sign(request, { now: day2 }));
});

test('sha256Hex matches createHash for strings and bytes', () => {
  for (const data of ['', 'abc', 'ü'.repeat(1000), new Uint8Array([0, 1, 2, 255])]) {
    assert.equal(sha256Hex(data), createHash('sha256').update(data).digest('hex'));
  }
});
