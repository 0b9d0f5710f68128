/* eslint-disable @typescript-eslint/no-unsafe-member-access -- tests read JSON replies by path */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubectlSkipReason, runKubectl } from '../controllers/testing.js';
import { startTestCluster } from './testing.js';

const skip = kubectlSkipReason();

test(
  'kubectl creates Ingresses and ExternalName Services (protobuf bodies) and prints the networking tables',
  { skip: skip ?? false },
  async () => {
    const c = await startTestCluster();
    const kubectl = async (
      ...args: string[]
    ): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      runKubectl(c.dataDir, c.server.kubeconfigPath, args);
    try {
      const ing = await kubectl(
        'create',
        'ingress',
        'web',
        '--class=stratus',
        '--rule=a.example.com/*=web:80,tls=a-tls',
        '--rule=b.example.com/api=api:http',
      );
      assert.equal(ing.code, 0, ing.stderr);
      const got = await c.call('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/web');
      assert.deepEqual(got.body.spec.rules[1], {
        host: 'b.example.com',
        http: {
          paths: [
            {
              path: '/api',
              pathType: 'Exact',
              backend: { service: { name: 'api', port: { name: 'http' } } },
            },
          ],
        },
      });
      assert.deepEqual(got.body.spec.tls, [{ hosts: ['a.example.com'], secretName: 'a-tls' }]);
      const ext = await kubectl('create', 'service', 'externalname', 'db', '--external-name=db.example.com');
      assert.equal(ext.code, 0, ext.stderr);

      await writeFile(
        join(c.dataDir, 'class.yaml'),
        'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: stratus}\nspec: {controller: stratus.dev/ingress}\n',
      );
      assert.equal((await kubectl('apply', '-f', join(c.dataDir, 'class.yaml'))).code, 0);
      const tables = await kubectl('get', 'ingress,ingressclass,svc');
      assert.equal(tables.code, 0, tables.stderr);
      assert.match(tables.stdout, /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\n/);
      assert.match(
        tables.stdout,
        /^ingress\.networking\.k8s\.io\/web\s+stratus\s+a\.example\.com,b\.example\.com\s+80, 443\s+\d+s$/m,
      );
      assert.match(
        tables.stdout,
        /^ingressclass\.networking\.k8s\.io\/stratus\s+stratus\.dev\/ingress\s+<none>\s+\d+s$/m,
      );
      assert.match(
        tables.stdout,
        /^service\/db\s+ExternalName\s+<none>\s+db\.example\.com\s+<none>\s+\d+s$/m,
      );

      await writeFile(
        join(c.dataDir, 'bad.yaml'),
        'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec: {rules: [{host: 10.0.0.1}]}\n',
      );
      const bad = await kubectl('apply', '-f', join(c.dataDir, 'bad.yaml'));
      assert.equal(bad.code, 1);
      assert.match(
        bad.stderr,
        /The Ingress "bad" is invalid: spec\.rules\[0\]\.host: Invalid value: "10\.0\.0\.1": must be a DNS name, not an IP address/,
      );
    } finally {
      await c.close();
    }
  },
);
