import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../common/kube-object.js';
import { startControllerManager } from './controller-manager.js';
import { eventually, startControllerTestCluster } from './testing.js';

type Slice = EndpointSlice & KubeObject;
const ns = { namespace: 'default' };

test('Endpoints written for a Service without selector are mirrored to EndpointSlices the proxy reads', async () => {
  const cluster = await startControllerTestCluster();
  const { client } = cluster;
  const manager = await startControllerManager({
    client,
    controllers: ['endpointslicemirroring', 'endpointslice'],
    syncTimeoutMs: 10_000,
  });
  const mirrored = async (name: string): Promise<Slice[]> =>
    (
      await client.list('endpointslices', {
        ...ns,
        labelSelector: `kubernetes.io/service-name=${name},endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io`,
      })
    ).items as Slice[];
  const endpoints = (name: string, subsets: unknown[], labels: Record<string, string> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: 'default', labels },
    subsets,
  });
  try {
    await client.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db', namespace: 'default' },
      spec: { ports: [{ name: 'pg', port: 5432 }] },
    });
    const ep = await client.create(
      'endpoints',
      endpoints(
        'db',
        [
          {
            addresses: [{ ip: '127.0.0.20', hostname: 'primary' }],
            notReadyAddresses: [{ ip: '127.0.0.21' }, { ip: '::1' }],
            ports: [{ name: 'pg', port: 15432, protocol: 'TCP' }],
          },
        ],
        { team: 'data' },
      ),
    );
    const [slice] = await eventually('the mirrored slice', async () => {
      const s = await mirrored('db');
      return s.length === 1 ? s : undefined;
    });
    assert.equal(slice?.addressType, 'IPv4');
    assert.deepEqual(slice?.ports, [{ name: 'pg', port: 15432, protocol: 'TCP' }]);
    assert.deepEqual(
      slice?.endpoints.map((e) => [e.addresses[0], e.conditions?.ready, e.hostname]),
      [
        ['127.0.0.20', true, 'primary'],
        ['127.0.0.21', false, undefined],
      ],
    );
    assert.equal(slice?.metadata.labels?.team, 'data');
    assert.deepEqual(
      slice?.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]),
      [['Endpoints', 'db', ep.metadata.uid, true]],
    );

    // A change to the Endpoints is mirrored in place.
    await client.update('endpoints', {
      ...endpoints('db', [{ addresses: [{ ip: '127.0.0.22' }], ports: [{ name: 'pg', port: 15432 }] }]),
      metadata: { ...ep.metadata, labels: {} },
    });
    await eventually('the new address mirrored', async () => {
      const s = await mirrored('db');
      return s.length === 1 && s[0]?.endpoints.map((e) => e.addresses[0]).join() === '127.0.0.22';
    });

    // skip-mirror, and a Service that gains a selector, take the mirrored slices away.
    const current = await client.get('endpoints', 'db', ns);
    await client.update('endpoints', {
      ...current,
      metadata: { ...current.metadata, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    });
    await eventually('no slice with skip-mirror', async () => (await mirrored('db')).length === 0);

    await client.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await client.create(
      'endpoints',
      endpoints('web', [{ addresses: [{ ip: '127.0.0.30' }], ports: [{ port: 80 }] }]),
    );
    // Endpoints of a Service with a selector are the endpoints controller's: never mirrored. The
    // endpointslice controller's placeholder slice shows the Service was seen.
    await eventually('the placeholder slice of web', async () => {
      const all = (
        await client.list('endpointslices', { ...ns, labelSelector: 'kubernetes.io/service-name=web' })
      ).items;
      return all.length > 0;
    });
    assert.deepEqual(await mirrored('web'), []);
  } finally {
    await manager.close();
    await cluster.close();
  }
});
