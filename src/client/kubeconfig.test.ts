import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKubeconfig } from './kubeconfig.js';
import { hasCode } from '../common/stratus-error.js';

const config = `
apiVersion: v1
kind: Config
current-context: stratus
clusters:
  - name: other
    cluster: { server: https://other:6443 }
  - name: stratus
    cluster:
      server: http://127.0.0.1:6443/
contexts:
  - name: stratus
    context: { cluster: stratus, user: admin }
  - name: dev
    context: { cluster: other, user: admin, namespace: dev }
users:
  - name: admin
    user: { token: s3cret }
`;

test('the current context gives the server, token and default namespace', () => {
  assert.deepEqual(parseKubeconfig(config, 'kc'), {
    server: 'http://127.0.0.1:6443',
    token: 's3cret',
    namespace: 'default',
    contextName: 'stratus',
  });
});

test('a named context overrides current-context and carries its namespace', () => {
  const c = parseKubeconfig(config, 'kc', { context: 'dev' });
  assert.equal(c.server, 'https://other:6443');
  assert.equal(c.namespace, 'dev');
});

test('a context naming a missing cluster is an error that names it', () => {
  const broken = config.replace('cluster: stratus, user', 'cluster: nowhere, user');
  assert.throws(
    () => parseKubeconfig(broken, '/tmp/kc'),
    (err: Error) => hasCode(err, 'CLIENT_KUBECONFIG_INVALID') && /cluster named "nowhere"/.test(err.message),
  );
});

test('text that is not a mapping is refused', () => {
  assert.throws(() => parseKubeconfig('- a\n- b\n', 'kc'), /not a YAML mapping/);
  assert.throws(() => parseKubeconfig('a: [', 'kc'), /Cannot read kubeconfig kc/);
});

test('TLS settings come from the cluster entry: CA data decoded, insecure flag', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const tls = config
    .replace(
      'server: http://127.0.0.1:6443/',
      `server: https://127.0.0.1:6443\n      certificate-authority-data: ${btoa(pem)}`,
    )
    .replace(
      'cluster: { server: https://other:6443 }',
      "cluster: { server: 'https://other:6443', insecure-skip-tls-verify: true }",
    );
  assert.equal(parseKubeconfig(tls, 'kc').certificateAuthorityData, pem);
  assert.equal(parseKubeconfig(tls, 'kc', { context: 'dev' }).insecureSkipTlsVerify, true);
  assert.throws(() => parseKubeconfig(tls.replace(btoa(pem), 'not-base64$'), 'kc'), /not base64/);
});
