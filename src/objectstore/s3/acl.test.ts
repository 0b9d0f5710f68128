import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectStoreError } from '../errors.js';
import {
  aclAllows,
  aclToXml,
  ALL_USERS,
  AUTHENTICATED_USERS,
  cannedAcl,
  grantHeadersAcl,
  parseAccessControlPolicy,
} from './acl.js';

const resolve = {
  byId: (id: string) => ({ aliceid: 'alice', bobid: 'bob' })[id],
  byEmail: (email: string) => (email === 'bob@example.com' ? 'bob' : undefined),
};
const code = (c: string) => (e: unknown) => e instanceof ObjectStoreError && e.code === c;

test('canned ACLs expand as AWS documents them', () => {
  assert.deepEqual(cannedAcl('public-read', 'alice').grants, [
    { user: 'alice', permission: 'FULL_CONTROL' },
    { group: ALL_USERS, permission: 'READ' },
  ]);
  assert.equal(cannedAcl('public-read-write', 'alice').grants.length, 3);
  assert.deepEqual(cannedAcl('bucket-owner-full-control', 'bob', 'alice').grants[1], {
    user: 'alice',
    permission: 'FULL_CONTROL',
  });
  assert.equal(cannedAcl('log-delivery-write', 'alice').grants.length, 3);
  assert.throws(() => cannedAcl('wide-open', 'alice'), code('InvalidArgument'));
});

test('grant headers and AccessControlPolicy resolve ids, emails and groups; unknown users are errors', () => {
  const h: Record<string, string> = {
    'x-amz-grant-read': `id="bobid", uri="${AUTHENTICATED_USERS}"`,
    'x-amz-grant-full-control': 'emailAddress="bob@example.com"',
  };
  const acl = grantHeadersAcl((n) => h[n], 'alice', resolve);
  assert.deepEqual(acl.grants, [
    { user: 'bob', permission: 'READ' },
    { group: AUTHENTICATED_USERS, permission: 'READ' },
    { user: 'bob', permission: 'FULL_CONTROL' },
  ]);
  assert.throws(
    () => grantHeadersAcl((n) => (n === 'x-amz-grant-read' ? 'id="nobody"' : undefined), 'alice', resolve),
    code('InvalidArgument'),
  );
  assert.throws(
    () =>
      grantHeadersAcl(
        (n) => (n === 'x-amz-grant-read' ? 'emailAddress="x@y.z"' : undefined),
        'alice',
        resolve,
      ),
    code('UnresolvableGrantByEmailAddress'),
  );
  const xml = aclToXml(
    {
      owner: 'alice',
      grants: [
        { user: 'bob', permission: 'WRITE_ACP' },
        { group: ALL_USERS, permission: 'READ' },
      ],
    },
    (u) => `${u}id`,
  );
  assert.match(xml, /<Owner><ID>aliceid<\/ID><DisplayName>alice<\/DisplayName><\/Owner>/);
  const back = parseAccessControlPolicy(xml, 'alice', resolve);
  assert.deepEqual(back.grants, [
    { user: 'bob', permission: 'WRITE_ACP' },
    { group: ALL_USERS, permission: 'READ' },
  ]);
  assert.throws(
    () => parseAccessControlPolicy(xml, 'bob', resolve),
    code('AccessDenied'),
    'the owner cannot change',
  );
  assert.throws(
    () => parseAccessControlPolicy('<AccessControlPolicy/>', 'alice', resolve),
    code('MalformedACLError'),
  );
});

test('aclAllows: users, AllUsers, AuthenticatedUsers, FULL_CONTROL, and ignored public grants', () => {
  const acl = {
    owner: 'alice',
    grants: [
      { user: 'bob', permission: 'FULL_CONTROL' as const },
      { group: AUTHENTICATED_USERS, permission: 'READ' as const },
    ],
  };
  assert.ok(aclAllows(acl, 'bob', 'WRITE_ACP'));
  assert.ok(aclAllows(acl, 'carol', 'READ'));
  assert.ok(!aclAllows(acl, undefined, 'READ'));
  assert.ok(!aclAllows(acl, 'carol', 'READ', { ignorePublic: true }));
  assert.ok(aclAllows(cannedAcl('public-read', 'alice'), undefined, 'READ'));
});
