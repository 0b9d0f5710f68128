import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceEnv } from './service-env.js';

const svc = (namespace: string, name: string, clusterIP: string, ports: object[]) =>
  ({ metadata: { namespace, name }, spec: { clusterIP, ports } }) as never;

test("a Service's variables as the kubelet writes them", () => {
  const env = serviceEnv(
    [
      svc('shop', 'web-api', '127.77.0.10', [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'dns', port: 53, protocol: 'UDP' },
      ]),
      svc('shop', 'db', 'None', [{ port: 5432 }]),
      svc('other', 'cache', '127.77.0.11', [{ port: 6379 }]),
      svc('default', 'kubernetes', '127.77.0.1', [{ name: 'https', port: 443 }]),
    ],
    'shop',
  );
  assert.equal(env.WEB_API_SERVICE_HOST, '127.77.0.10');
  assert.equal(env.WEB_API_SERVICE_PORT, '80');
  assert.equal(env.WEB_API_SERVICE_PORT_HTTP, '80');
  assert.equal(env.WEB_API_SERVICE_PORT_DNS, '53');
  assert.equal(env.WEB_API_PORT, 'tcp://127.77.0.10:80');
  assert.equal(env.WEB_API_PORT_53_UDP, 'udp://127.77.0.10:53');
  assert.equal(env.WEB_API_PORT_80_TCP_ADDR, '127.77.0.10');
  assert.equal(env.KUBERNETES_SERVICE_HOST, '127.77.0.1');
  assert.equal(env.DB_SERVICE_HOST, undefined, 'headless: none');
  assert.equal(env.CACHE_SERVICE_HOST, undefined, 'another namespace: none');
  const off = serviceEnv([svc('shop', 'web', '127.77.0.10', [{ port: 80 }])], 'shop', false);
  assert.deepEqual(off, {}, 'enableServiceLinks: false');
});
