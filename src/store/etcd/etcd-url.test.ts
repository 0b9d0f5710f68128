import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etcdUrlIsTls, parseEtcdUrl } from './etcd-url.js';

test('etcd store URLs list members as host:port', () => {
  assert.deepEqual(parseEtcdUrl('etcd://127.0.0.1:2379'), ['127.0.0.1:2379']);
  assert.deepEqual(parseEtcdUrl('etcd://a.example:1,[::1]:2379,10.0.0.1:3/'), [
    'a.example:1',
    '[::1]:2379',
    '10.0.0.1:3',
  ]);
  // kube-apiserver's --etcd-servers form: a scheme before each member.
  assert.deepEqual(parseEtcdUrl('https://10.0.0.1:2379,https://10.0.0.2:2379/'), [
    '10.0.0.1:2379',
    '10.0.0.2:2379',
  ]);
  assert.deepEqual(parseEtcdUrl('https://10.0.0.1:2379,10.0.0.2:2379'), ['10.0.0.1:2379', '10.0.0.2:2379']);
  assert.deepEqual(parseEtcdUrl('http://127.0.0.1:2379'), ['127.0.0.1:2379']);
  assert.equal(etcdUrlIsTls('https://10.0.0.1:2379'), true);
  assert.equal(etcdUrlIsTls('etcd://10.0.0.1:2379'), false);
});

test('bad etcd store URLs name what is wrong', () => {
  assert.throws(() => parseEtcdUrl('ftp://x:1'), /not an etcd store URL/);
  assert.throws(() => parseEtcdUrl('etcd://'), /names no member/);
  assert.throws(() => parseEtcdUrl('etcd://host'), /"host" is not host:port/);
  assert.throws(() => parseEtcdUrl('etcd://h:99999'), /"h:99999" is not host:port/);
  assert.throws(() => parseEtcdUrl('etcd://h:1,,h:2'), /"" is not host:port/);
  assert.throws(() => parseEtcdUrl('https://h:1,http://h:2'), /"http:\/\/h:2" is not host:port/);
});
