import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { allocateHostPorts, mapContainerPorts, portEnv } from './host-ports.js';

test('allocates distinct free ports that can be bound', async () => {
  const ports = await allocateHostPorts(3);
  assert.equal(new Set(ports).size, 3);
  const server = createServer();
  await new Promise<void>((r) => server.listen(ports[0], '127.0.0.1', r));
  await new Promise<void>((r) => server.close(() => r()));
});

test('maps container ports, keeping requested host ports, and names them in the env', async () => {
  const mapped = await mapContainerPorts([
    { name: 'web', containerPort: 80 },
    { name: 'metrics-http', containerPort: 9090, hostPort: 31000, protocol: 'TCP' },
  ]);
  assert.equal(mapped[1]?.hostPort, 31000);
  assert.ok((mapped[0]?.hostPort ?? 0) > 0);
  assert.deepEqual(portEnv(mapped), {
    PORT: String(mapped[0]?.hostPort),
    PORT_WEB: String(mapped[0]?.hostPort),
    PORT_METRICS_HTTP: '31000',
  });
  assert.deepEqual(portEnv([]), {});
});
