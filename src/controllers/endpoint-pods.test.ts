import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podAddress, podPort } from './endpoint-pods.js';

const pod = (annotations?: Record<string, string>): Pod => ({
  metadata: { name: 'web', namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { hostIP: '127.0.0.1', podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }] },
});
const port = { port: 80, targetPort: 'http' };

test('a pod with its own address (a network sandbox) is reached at podIP:containerPort', () => {
  const p = pod();
  assert.equal(podAddress(p), '10.244.0.5');
  assert.equal(podPort(p, port), 8080);
});

test('a pod with published host ports (the process runtime) is reached at hostIP:hostPort', () => {
  const p = pod({ 'stratus.dev/host-ports': JSON.stringify({ 'c/http': 41234 }) });
  assert.equal(podAddress(p), '127.0.0.1');
  assert.equal(podPort(p, port), 41234);
});
