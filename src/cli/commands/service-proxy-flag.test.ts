import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../errors.js';
import { defaultL7Driver, serviceProxyFlags } from './service-proxy-flag.js';

test('an explicit --service-proxy wins; without one the driver is left to the default', () => {
  assert.deepEqual(serviceProxyFlags({}, 'up'), { l4: 'userspace' });
  assert.deepEqual(serviceProxyFlags({ 'service-proxy': 'node' }, 'up'), { l7: 'node', l4: 'userspace' });
  assert.deepEqual(serviceProxyFlags({ 'service-proxy': 'haproxy', 'proxy-mode': 'nftables' }, 'agent'), {
    l7: 'haproxy',
    l4: 'nftables',
  });
  assert.equal(serviceProxyFlags({ 'service-proxy': 'none' }, 'up'), undefined);
  assert.throws(() => serviceProxyFlags({ 'service-proxy': 'envoy' }, 'up'), UsageError);
});

test('the default driver is haproxy when HAProxy 2.6+ is installed, else node with one line saying why', async () => {
  assert.deepEqual(await defaultL7Driver({ find: () => '/usr/sbin/haproxy', version: () => '2.6.12' }), {
    l7: 'haproxy',
  });
  const missing = await defaultL7Driver({ find: () => undefined, version: () => '2.6.12' });
  assert.equal(missing.l7, 'node');
  assert.match(missing.notice ?? '', /HAProxy is not installed, using the node data plane/);
  const old = await defaultL7Driver({
    find: () => '/usr/sbin/haproxy',
    version: () => {
      throw new Error('data plane "haproxy" is unavailable: HAProxy version 2.4.22 is older than 2.6');
    },
  });
  assert.equal(old.l7, 'node');
  assert.match(old.notice ?? '', /older than 2\.6.*using the node data plane/);
});
