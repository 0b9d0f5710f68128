import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HOST_PORTS_ANNOTATION, hostPortsValue, parseHostPorts } from './host-ports-annotation.js';

test('hostPortsValue keys ports by container and port name, or number when unnamed', () => {
  const value = hostPortsValue([
    {
      name: 'web',
      ports: [
        { name: 'http', containerPort: 8080, hostPort: 41000 },
        { containerPort: 9090, hostPort: 41001 },
      ],
    },
    { name: 'sidecar', ports: [] },
  ]);
  assert.equal(value, '{"web/http":41000,"web/9090":41001}');
  assert.equal(hostPortsValue([{ name: 'web', ports: [] }]), undefined);
});

test('parseHostPorts reads the annotation back and ignores a malformed one', () => {
  assert.deepEqual(parseHostPorts({ [HOST_PORTS_ANNOTATION]: '{"web/http":41000,"x":"no"}' }), {
    'web/http': 41000,
  });
  assert.deepEqual(parseHostPorts({ [HOST_PORTS_ANNOTATION]: 'not json' }), {});
  assert.deepEqual(parseHostPorts({ [HOST_PORTS_ANNOTATION]: '[1]' }), {});
  assert.deepEqual(parseHostPorts(undefined), {});
});
