import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Container } from 'kubernetes-types/core/v1.js';
import { hasCode } from '../common/stratus-error.js';
import { expandVars, resolveCommand, resolveEnv, type EnvSources } from './env.js';

const sources: EnvSources = {
  pod: {
    name: 'web-1',
    namespace: 'shop',
    uid: 'u-1',
    labels: { app: 'web' },
    nodeName: 'n1',
    podIP: '127.0.0.1',
    hostIP: '10.0.0.1',
  },
  configMap: (name) => (name === 'cfg' ? { MODE: 'prod', LEVEL: 'debug' } : undefined),
  secret: (name) => (name === 'db' ? { password: 's3cret' } : undefined),
};

test('expandVars follows Kubernetes: defined refs, $$ escapes, unknown refs stay', () => {
  const vars = { A: 'x', B: 'y' };
  assert.equal(expandVars('$(A)-$(B)', vars), 'x-y');
  assert.equal(expandVars('$$(A)', vars), '$(A)');
  assert.equal(expandVars('$(C) $A $', vars), '$(C) $A $');
  assert.equal(expandVars('$(A', vars), '$(A');
});

test('resolveEnv: envFrom with prefix, literals with expansion, valueFrom of every kind', () => {
  const c: Container = {
    name: 'app',
    envFrom: [
      { configMapRef: { name: 'cfg' }, prefix: 'CFG_' },
      { secretRef: { name: 'missing', optional: true } },
    ],
    env: [
      { name: 'HOST', value: 'db' },
      { name: 'URL', value: 'pg://$(HOST):5432/$(CFG_MODE)' },
      { name: 'PASS', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope', optional: true } } },
    ],
    resources: { limits: { memory: '128Mi' } },
  };
  assert.deepEqual(resolveEnv(c, sources), {
    CFG_MODE: 'prod',
    CFG_LEVEL: 'debug',
    HOST: 'db',
    URL: 'pg://db:5432/prod',
    PASS: 's3cret',
    LEVEL: 'debug',
    POD: 'web-1',
    NS: 'shop',
    APP: 'web',
    NODE: 'n1',
    IP: '127.0.0.1',
    MEM: '128',
  });
});

test('resolveEnv names every missing non-optional reference in one error', () => {
  const c: Container = {
    name: 'app',
    envFrom: [{ configMapRef: { name: 'gone' } }],
    env: [
      { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'missing' } } },
      { name: 'B', valueFrom: { secretKeyRef: { name: 'nosecret', key: 'k' } } },
    ],
  };
  assert.throws(
    () => resolveEnv(c, sources),
    (e) =>
      hasCode(e, 'RUNTIME_CONTAINER_CONFIG') &&
      (e as Error).message ===
        'Cannot resolve env of container "app": configmap "gone" not found; ' +
          'couldn\'t find key missing in ConfigMap shop/cfg; secret "nosecret" not found',
  );
});

test('resolveCommand joins command and args and expands them against the env', () => {
  const c: Container = {
    name: 'app',
    command: ['node', '$(ENTRY)'],
    args: ['--port', '$(PORT)', '$$(PORT)'],
  };
  assert.deepEqual(resolveCommand(c, { ENTRY: 'server.js', PORT: '8080' }), [
    'node',
    'server.js',
    '--port',
    '8080',
    '$(PORT)',
  ]);
});
