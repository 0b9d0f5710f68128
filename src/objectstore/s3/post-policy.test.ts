import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPostPolicy, parsePostPolicy } from './post-policy.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const encode = (doc: unknown): string => Buffer.from(JSON.stringify(doc)).toString('base64');
const code =
  (c: string, message?: RegExp) =>
  (err: unknown): boolean => {
    assert.equal((err as { code?: string }).code, c);
    if (message !== undefined) assert.match((err as Error).message, message);
    return true;
  };

test('a POST policy checks fields by case-insensitive name and exact value, and names every field', () => {
  const policy = parsePostPolicy(
    encode({
      expiration: '2026-12-07T13:00:00.000Z',
      conditions: [
        { bucket: 'photos' },
        ['starts-with', '$Key', 'user/'],
        ['eq', '$Content-Type', 'image/png'],
        ['starts-with', '$x-amz-meta-tag', ''],
        ['content-length-range', 10, '2048'],
      ],
    }),
    NOW,
  );
  assert.equal(policy.minSize, 10);
  assert.equal(policy.maxSize, 2048);
  const fields = new Map([
    ['bucket', 'photos'],
    ['key', 'user/a.png'],
    ['content-type', 'image/png'],
    ['x-amz-meta-tag', 'anything'],
    ['policy', 'ignored'],
    ['x-amz-signature', 'ignored'],
    ['x-ignore-me', 'ignored'],
  ]);
  checkPostPolicy(policy, fields);
  assert.throws(
    () => checkPostPolicy(policy, new Map([...fields, ['content-type', 'IMAGE/PNG']])),
    code('AccessDenied', /Policy Condition failed: \["eq", "\$Content-Type", "image\/png"\]/),
  );
  assert.throws(
    () => checkPostPolicy(policy, new Map([...fields, ['key', 'other/a.png']])),
    code('AccessDenied', /\["starts-with", "\$Key", "user\/"\]/),
  );
  assert.throws(
    () => checkPostPolicy(policy, new Map([...fields, ['acl', 'public-read']])),
    code('AccessDenied', /Extra input fields: acl/),
  );
});

test('a POST policy that is not base64 JSON, lacks expiration or conditions, or has expired is refused', () => {
  assert.throws(() => parsePostPolicy('%%%', NOW), code('InvalidPolicyDocument', /Invalid JSON/));
  assert.throws(
    () => parsePostPolicy(encode({ conditions: [] }), NOW),
    code('InvalidPolicyDocument', /expiration/),
  );
  assert.throws(
    () => parsePostPolicy(encode({ expiration: '2027-01-01T00:00:00Z' }), NOW),
    code('InvalidPolicyDocument', /missing conditions/),
  );
  assert.throws(
    () => parsePostPolicy(encode({ expiration: 'soon', conditions: [] }), NOW),
    code('InvalidPolicyDocument', /expiration/),
  );
  assert.throws(
    () =>
      parsePostPolicy(encode({ expiration: '2027-01-01T00:00:00Z', conditions: [['in', '$key', 'a']] }), NOW),
    code('InvalidPolicyDocument', /operator/),
  );
  assert.throws(
    () => parsePostPolicy(encode({ expiration: '2026-12-07T11:59:59Z', conditions: [] }), NOW),
    code('AccessDenied', /Policy expired/),
  );
});
