import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../common/kube-object.js';
import { describeObject } from './describe-printer.js';

test('describe of a pod shows the host port the agent published for each container port', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'default',
      annotations: { 'stratus.dev/host-ports': '{"web/http":41234}' },
    },
    spec: {
      nodeName: 'a1',
      containers: [
        {
          name: 'web',
          image: 'node:20-alpine',
          ports: [
            { name: 'http', containerPort: 8080 },
            { containerPort: 9090, hostPort: 9999 },
          ],
        },
        { name: 'sidecar', image: 'busybox' },
      ],
    },
    status: { phase: 'Running' },
  };
  const text = describeObject(pod, [], Date.now());
  assert.match(text, /^ {2}Port: +8080\/TCP, 9090\/TCP$/m);
  // Published ports win; a declared hostPort not yet published shows as declared.
  assert.match(text, /^ {2}Host Port: +41234\/TCP, 9999\/TCP$/m);
  assert.equal(text.match(/Host Port:/g)?.length, 1, 'a container without ports has no Host Port line');
});
