import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { test } from 'node:test';
import { startTestCluster, type TestCluster } from './testing.js';

/** A pod bound to a node whose status names `address:port` as its agent; returns the log path. */
async function podOn(c: TestCluster, node: string, address: unknown, port: unknown): Promise<string> {
  const created = await c.call('POST', '/api/v1/nodes', {
    body: { apiVersion: 'v1', kind: 'Node', metadata: { name: node } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const status = await c.call('PATCH', `/api/v1/nodes/${node}/status`, {
    contentType: 'application/merge-patch+json',
    body: {
      status: {
        addresses: [{ type: 'InternalIP', address }],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
      },
    },
  });
  assert.equal(status.status, 200, JSON.stringify(status.body));
  const secret = await c.call('POST', '/api/v1/namespaces/kube-node-lease/secrets', {
    body: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `stratus-agent-${node}` },
      data: { token: Buffer.from('s3cret').toString('base64') },
    },
  });
  assert.equal(secret.status, 201, JSON.stringify(secret.body));
  const pod = `p-${node}`;
  await c.call('POST', '/api/v1/namespaces/default/pods', {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod },
      spec: { nodeName: node, containers: [{ name: 'main', image: 'x' }] },
    },
  });
  const running = await c.call('PATCH', `/api/v1/namespaces/default/pods/${pod}/status`, {
    contentType: 'application/merge-patch+json',
    body: {
      status: {
        containerStatuses: [
          {
            name: 'main',
            containerID: 'process://1',
            state: { running: {} },
            ready: true,
            restartCount: 0,
            image: 'x',
            imageID: '',
          },
        ],
      },
    },
  });
  assert.equal(running.status, 200, JSON.stringify(running.body));
  return `/api/v1/namespaces/default/pods/${pod}/log`;
}

/** The `message` of a Status reply. */
function message(body: unknown): string {
  return String((body as { message?: unknown }).message);
}

async function listen(server: Server | NetServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

test('pod logs: the proxy goes only to a sane agent address, with a timeout and a bounded error', async (t) => {
  const c = await startTestCluster({ api: { podLogTimeoutMs: 3000 } });
  const silent = createNetServer(() => undefined); // accepts, never answers
  const agent = createServer((req, res) => {
    if (req.url?.includes('/p-loud/')) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('E'.repeat(4 * 1024 * 1024));
    } else if (req.url?.includes('/p-moved/')) {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
      res.end();
    } else {
      assert.equal(req.headers.authorization, 'Bearer s3cret');
      res.end('hello from the agent\n');
    }
  });
  t.after(async () => {
    silent.close();
    agent.closeAllConnections();
    agent.close();
    await c.close();
  });
  const silentPort = await listen(silent);
  const agentPort = await listen(agent);

  const good = await c.call('GET', await podOn(c, 'good', '127.0.0.1', agentPort));
  assert.equal(good.status, 200);
  assert.equal(good.body, 'hello from the agent\n');

  const refused: Array<[string, unknown, unknown, RegExp]> = [
    ['named', 'metadata.example', agentPort, /InternalIP "metadata.example" is not an IP address/],
    ['metadata', '169.254.169.254', 80, /169\.254\.169\.254 is not a unicast address/],
    ['unspecified', '0.0.0.0', agentPort, /0\.0\.0\.0 is not a unicast address/],
    ['mapped', '::ffff:127.0.0.1', agentPort, /is not a unicast address/],
    ['linklocal6', 'fe80::1', agentPort, /is not a unicast address/],
    ['portzero', '127.0.0.1', 0, /port 0 is not a port number/],
    ['porthigh', '127.0.0.1', 70_000, /port 70000 is not a port number/],
  ];
  for (const [node, address, port, wanted] of refused) {
    const got = await c.call('GET', await podOn(c, node, address, port));
    assert.equal(got.status, 500, `${node}: ${JSON.stringify(got.body)}`);
    assert.match(message(got.body), wanted);
  }

  const timedOut = await c.call('GET', await podOn(c, 'silent', '127.0.0.1', silentPort));
  assert.equal(timedOut.status, 500);
  assert.match(message(timedOut.body), /Cannot reach the agent of node "silent": no answer within 3 s/);

  const loud = await c.call('GET', await podOn(c, 'loud', '127.0.0.1', agentPort));
  assert.equal(loud.status, 500);
  assert.ok(message(loud.body).length <= 64 * 1024, `error quoted ${message(loud.body).length} bytes`);
  assert.match(message(loud.body), /^E+$/);

  const moved = await c.call('GET', await podOn(c, 'moved', '127.0.0.1', agentPort));
  assert.equal(moved.status, 500);
  assert.match(message(moved.body), /answered 302, a redirect, which is not followed/);

  assert.equal(
    (await c.call('GET', '/api/v1/namespaces/default/pods/p-good/log')).status,
    200,
    'still serving',
  );
});
