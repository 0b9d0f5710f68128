import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectStoreError } from '../errors.js';
import { decideAccess, OPERATION_ACCESS } from './authorize.js';
import type { ResolvedAccess } from './bucket-access.js';
import { compilePolicy, evaluatePolicy, type PolicyRequest } from './policy.js';
import { ipInCidr } from './policy-conditions.js';

function req(over: Partial<PolicyRequest> & { keys?: Record<string, string> } = {}): PolicyRequest {
  const keys = over.keys ?? {};
  return {
    user: 'bob',
    canonicalId: 'bobid',
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::b/public/x',
    key: (name) => keys[name],
    ...over,
  };
}

const doc = (statements: unknown[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });

test('policy: Allow matches by principal, wildcard action and resource; NotAction and NotResource invert', () => {
  const p = compilePolicy(
    'b',
    doc([
      { Effect: 'Allow', Principal: '*', Action: 's3:Get*', Resource: 'arn:aws:s3:::b/public/*' },
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::000000000000:user/carol' },
        NotAction: 's3:Delete*',
        NotResource: 'arn:aws:s3:::b/private/*',
      },
    ]),
  );
  assert.equal(evaluatePolicy(p, req()), 'Allow');
  assert.equal(evaluatePolicy(p, req({ user: undefined, canonicalId: undefined })), 'Allow', 'anonymous too');
  assert.equal(evaluatePolicy(p, req({ action: 's3:PutObject' })), undefined);
  assert.equal(evaluatePolicy(p, req({ action: 's3:getobject' })), 'Allow', 'actions are case-insensitive');
  assert.equal(evaluatePolicy(p, req({ resource: 'arn:aws:s3:::b/other' })), undefined);
  assert.equal(
    evaluatePolicy(p, req({ user: 'carol', action: 's3:PutObject', resource: 'arn:aws:s3:::b/a' })),
    'Allow',
  );
  assert.equal(
    evaluatePolicy(p, req({ user: 'carol', action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/a' })),
    undefined,
  );
  assert.equal(
    evaluatePolicy(p, req({ user: 'carol', action: 's3:PutObject', resource: 'arn:aws:s3:::b/private/a' })),
    undefined,
  );
  assert.equal(p.isPublic, true);
});

test('policy: an explicit Deny wins over any Allow, whatever the order', () => {
  const p = compilePolicy(
    'b',
    doc([
      { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'] },
      {
        Effect: 'Deny',
        Principal: { AWS: ['bob'] },
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::b/secret/*',
      },
    ]),
  );
  assert.equal(evaluatePolicy(p, req({ resource: 'arn:aws:s3:::b/secret/k' })), 'Deny');
  assert.equal(evaluatePolicy(p, req({ user: 'dave', resource: 'arn:aws:s3:::b/secret/k' })), 'Allow');
  // RestrictPublicBuckets drops the unconditional public Allow, not the Deny.
  assert.equal(evaluatePolicy(p, req({ user: 'dave' }), { ignorePublic: true }), undefined);
});

test('policy: conditions — string, numeric, bool, IP, Null, IfExists and negated operators', () => {
  const p = compilePolicy(
    'b',
    doc([
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::b',
        Condition: {
          StringLike: { 's3:prefix': ['home/${x}*', 'pub/*'] },
          NumericLessThanEquals: { 's3:max-keys': '100' },
        },
      },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: 'arn:aws:s3:::b/*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: 'arn:aws:s3:::b/*',
        Condition: { NotIpAddress: { 'aws:SourceIp': ['127.0.0.0/8', '10.1.0.0/16'] } },
      },
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::b/*',
        Condition: { StringEquals: { 's3:ExistingObjectTag/class': 'open' } },
      },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::b/*',
        Condition: { StringNotEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
      },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:DeleteObject',
        Resource: 'arn:aws:s3:::b/*',
        Condition: { Null: { 'aws:username': 'true' } },
      },
      {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObjectTagging',
        Resource: 'arn:aws:s3:::b/*',
        Condition: { StringEqualsIfExists: { 's3:RequestObjectTag/secret': 'yes' } },
      },
    ]),
  );
  const list = { action: 's3:ListBucket', resource: 'arn:aws:s3:::b' };
  assert.equal(
    evaluatePolicy(p, req({ ...list, keys: { 's3:prefix': 'pub/a', 's3:max-keys': '50' } })),
    'Allow',
  );
  assert.equal(
    evaluatePolicy(p, req({ ...list, keys: { 's3:prefix': 'pub/a', 's3:max-keys': '500' } })),
    undefined,
  );
  assert.equal(
    evaluatePolicy(p, req({ ...list, keys: { 's3:prefix': 'priv/a', 's3:max-keys': '5' } })),
    undefined,
  );
  assert.equal(
    evaluatePolicy(p, req({ ...list, keys: {} })),
    undefined,
    'a missing key fails a positive test',
  );
  const local = { 'aws:securetransport': 'true', 'aws:sourceip': '127.0.0.1' };
  assert.equal(evaluatePolicy(p, req({ keys: { ...local, 's3:existingobjecttag/class': 'open' } })), 'Allow');
  assert.equal(
    evaluatePolicy(p, req({ keys: { ...local, 's3:existingobjecttag/class': 'closed' } })),
    undefined,
  );
  assert.equal(evaluatePolicy(p, req({ keys: { ...local, 'aws:securetransport': 'false' } })), 'Deny');
  assert.equal(evaluatePolicy(p, req({ keys: { ...local, 'aws:sourceip': '192.168.1.1' } })), 'Deny');
  assert.equal(evaluatePolicy(p, req({ keys: { ...local, 'aws:sourceip': '10.1.200.3' } })), undefined);
  const put = { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' };
  assert.equal(
    evaluatePolicy(p, req({ ...put, keys: local })),
    'Deny',
    'a missing key passes a negated test',
  );
  assert.equal(
    evaluatePolicy(p, req({ ...put, keys: { ...local, 's3:x-amz-acl': 'bucket-owner-full-control' } })),
    undefined,
  );
  const del = { action: 's3:DeleteObject', resource: 'arn:aws:s3:::b/k' };
  assert.equal(evaluatePolicy(p, req({ ...del, keys: local })), 'Deny', 'Null: aws:username absent');
  assert.equal(evaluatePolicy(p, req({ ...del, keys: { ...local, 'aws:username': 'bob' } })), undefined);
  const tag = { action: 's3:PutObjectTagging', resource: 'arn:aws:s3:::b/k' };
  assert.equal(evaluatePolicy(p, req({ ...tag, keys: local })), 'Deny', 'IfExists: absent passes');
  assert.equal(
    evaluatePolicy(p, req({ ...tag, keys: { ...local, 's3:requestobjecttag/secret': 'no' } })),
    undefined,
  );
  assert.ok(p.keys.has('s3:existingobjecttag/class'));
  assert.equal(p.isPublic, false, 'every public Allow is conditional');
});

test('policy: malformed documents are MalformedPolicy', () => {
  const bad = (text: string, message: RegExp): void =>
    assert.throws(
      () => compilePolicy('b', text),
      (e: unknown) =>
        e instanceof ObjectStoreError && e.code === 'MalformedPolicy' && message.test(e.message),
    );
  bad('{', /invalid Json/);
  bad(JSON.stringify({ Version: '2012-10-17' }), /Statement/);
  bad(doc([{ Effect: 'Maybe', Principal: '*', Action: 's3:*', Resource: '*' }]), /effect/);
  bad(
    doc([{ Effect: 'Allow', Principal: '*', Action: 'ec2:RunInstances', Resource: '*' }]),
    /invalid action/,
  );
  bad(
    doc([{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::other/*' }]),
    /invalid resource/,
  );
  bad(
    doc([
      { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*', Condition: { Wobbly: { a: 'b' } } },
    ]),
    /Condition type/,
  );
  bad(doc([{ Effect: 'Allow', Action: 's3:*', Resource: '*' }]), /Principal/);
});

test('policy: variables in resources are filled from the request', () => {
  const p = compilePolicy(
    'b',
    doc([
      { Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/home/${aws:username}/*' },
    ]),
  );
  const home = (user: string | undefined, key: string) =>
    evaluatePolicy(
      p,
      req({
        user,
        resource: `arn:aws:s3:::b/${key}`,
        keys: user === undefined ? {} : { 'aws:username': user },
      }),
    );
  assert.equal(home('bob', 'home/bob/x'), 'Allow');
  assert.equal(home('bob', 'home/alice/x'), undefined);
  assert.equal(home('b*', 'home/bob/x'), undefined, 'a value is not a pattern');
  assert.equal(home(undefined, 'home//x'), undefined, 'an absent variable matches nothing');
});

test('IP conditions match IPv4 CIDR blocks and IPv4-mapped IPv6 addresses', () => {
  assert.ok(ipInCidr('10.1.2.3', '10.0.0.0/8'));
  assert.ok(!ipInCidr('11.1.2.3', '10.0.0.0/8'));
  assert.ok(ipInCidr('::ffff:127.0.0.1', '127.0.0.1/32'));
  assert.ok(ipInCidr('1.2.3.4', '0.0.0.0/0'));
  assert.ok(ipInCidr('::1', '::1'));
});

test('access: the owner unless explicitly denied; others by policy, then ACL; ownership and BPA trim both', () => {
  const base: ResolvedAccess = {
    stored: {},
    acl: {
      owner: 'alice',
      grants: [
        { user: 'alice', permission: 'FULL_CONTROL' },
        { group: 'http://acs.amazonaws.com/groups/global/AllUsers', permission: 'READ' },
      ],
    },
    policy: compilePolicy(
      'b',
      doc([{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: 'arn:aws:s3:::b' }]),
    ),
    publicAccessBlock: undefined,
    ownership: 'ObjectWriter',
  };
  const ask = (user: string | undefined, op: keyof typeof OPERATION_ACCESS, access = base): string => {
    const need = OPERATION_ACCESS[op]!;
    const v = decideAccess({
      user,
      owner: 'alice',
      access,
      need,
      request: req({ user, action: need.action, resource: 'arn:aws:s3:::b' }),
    });
    return `${v.allowed}:${v.reason}`;
  };
  assert.equal(ask('alice', 'PutBucketVersioning'), 'true:owner');
  assert.equal(ask('alice', 'DeleteBucket'), 'false:policy-deny');
  assert.equal(
    ask('alice', 'PutBucketPolicy'),
    'true:owner',
    'the owner cannot lock itself out of its policy',
  );
  assert.equal(ask(undefined, 'ListObjectsV2'), 'true:acl');
  assert.equal(ask('bob', 'PutObject'), 'false:implicit-deny');
  assert.equal(ask('bob', 'PutBucketVersioning'), 'false:implicit-deny');
  assert.equal(
    ask(undefined, 'ListObjectsV2', { ...base, ownership: 'BucketOwnerEnforced' }),
    'false:implicit-deny',
  );
  const pab = {
    blockPublicAcls: false,
    ignorePublicAcls: true,
    blockPublicPolicy: false,
    restrictPublicBuckets: false,
  };
  assert.equal(ask(undefined, 'ListObjectsV2', { ...base, publicAccessBlock: pab }), 'false:implicit-deny');
});
