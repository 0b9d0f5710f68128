import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, StatusError } from '../client/index.js';
import { newToken, nodeUser, tokenSecret } from '../identity/index.js';
import { startCloud } from './up.js';
import { agentComponent } from './up-agent.js';

// `stratus up`'s agent is a node like any other: it acts as system:node:<host> with a loopback
// token, and the never-expiring node token earlier versions kept in DATA_DIR/agent/token stops
// working at the first start that no longer needs it.

test("up's agent retires the stored node token and is confined as its node", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-up-agent-'));
  const cloud = await startCloud({ dataDir: join(dir, 'data'), apiPort: 0 }, []);
  const admin = KubeClient.fromKubeconfig(cloud.server.kubeconfigPath);
  const node = hostname().toLowerCase();
  const old = newToken();
  let agent: { close(): Promise<void> } | undefined;
  try {
    await admin.create('secrets', tokenSecret(old, nodeUser(node)), { namespace: 'kube-system' });
    await mkdir(join(cloud.dataDir, 'agent'), { recursive: true });
    await writeFile(join(cloud.dataDir, 'agent', 'token'), `${old}\n`, { mode: 0o600 });
    const oldClient = new KubeClient({
      server: cloud.server.httpUrl,
      token: old,
      namespace: 'default',
      contextName: 'old',
    });
    // Until then it works (a node's own Node: authorized, not there yet).
    await assert.rejects(
      oldClient.get('nodes', node),
      (e: unknown) => e instanceof StatusError && e.status === 404,
    );
    agent = await agentComponent.start({ server: cloud.server, dataDir: cloud.dataDir, options: {} });
    assert.equal(existsSync(join(cloud.dataDir, 'agent', 'token')), false);
    await assert.rejects(
      oldClient.list('pods'),
      (e: unknown) => e instanceof StatusError && e.status === 401,
    );
    await oldClient.close();
    // The agent registered its Node; a loopback token is confined as the user it names (no
    // loopback bypass, unlike kube-apiserver's own loopback client).
    const registered = await admin.get('nodes', node);
    assert.equal(registered.metadata.name, node);
    const nodeClient = new KubeClient({
      server: cloud.server.httpUrl,
      token: cloud.server.loopbackToken(nodeUser(node)),
      namespace: 'default',
      contextName: 'node',
    });
    await assert.rejects(
      nodeClient.list('secrets'),
      (e: unknown) => e instanceof StatusError && e.status === 403,
    );
    await nodeClient.close();
  } finally {
    await agent?.close();
    await admin.close();
    await cloud.close();
    await rm(dir, { recursive: true, force: true });
  }
});
