import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasCode } from '../common/stratus-error.js';
import { containerLimits, resolveHandler } from './container-spec.js';
import type { PortMapping } from './runtime.js';

const ports: PortMapping[] = [
  { name: 'http', containerPort: 8080, hostPort: 41000 },
  { name: 'admin', containerPort: 9000, hostPort: 41001 },
];

test('probe handlers reach the host port of a named or numbered container port', () => {
  assert.deepEqual(
    resolveHandler(
      { httpGet: { port: 'http', path: '/healthz', httpHeaders: [{ name: 'X-A', value: '1' }] } },
      ports,
    ),
    { httpGet: { port: 41000, path: '/healthz', headers: [{ name: 'X-A', value: '1' }] } },
  );
  assert.deepEqual(resolveHandler({ tcpSocket: { port: 9000 } }, ports), { tcpSocket: { port: 41001 } });
  assert.deepEqual(resolveHandler({ tcpSocket: { port: '9000' } }, ports), { tcpSocket: { port: 41001 } });
  assert.deepEqual(resolveHandler({ tcpSocket: { port: 7000 } }, ports), { tcpSocket: { port: 7000 } });
  assert.deepEqual(resolveHandler({ exec: { command: ['cat', '/tmp/ok'] } }, ports), {
    exec: { command: ['cat', '/tmp/ok'] },
  });
  assert.deepEqual(resolveHandler({ sleep: { seconds: 3 } }, ports, 'preStop'), { sleep: { seconds: 3 } });
  assert.throws(
    () => resolveHandler({ httpGet: { port: 'metrics' } }, ports, 'readiness probe'),
    (e) =>
      hasCode(e, 'RUNTIME_CONTAINER_CONFIG') &&
      /readiness probe: no container port named "metrics"/.test(String(e)),
  );
  assert.throws(() => resolveHandler({ grpc: { port: 9000 } }, ports), /no supported handler/);
});

test('container limits become bytes and cores; requests are ignored', () => {
  assert.deepEqual(containerLimits({ name: 'a', resources: { limits: { memory: '128Mi', cpu: '500m' } } }), {
    memoryBytes: 128 * 1024 * 1024,
    cpuCores: 0.5,
  });
  assert.deepEqual(containerLimits({ name: 'a', resources: { limits: { cpu: '2' } } }), { cpuCores: 2 });
  assert.equal(containerLimits({ name: 'a', resources: { requests: { cpu: '1' } } }), undefined);
  assert.equal(containerLimits({ name: 'a' }), undefined);
});
