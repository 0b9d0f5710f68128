import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KubeClient } from '../client/index.js';
import { Agent } from './agent.js';
import { claimDataDir } from './data-dir.js';

test('the agent refuses a data directory another user owns, and makes its own private', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-agent-dir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const own = join(dir, 'own');
  mkdirSync(own, { mode: 0o755 });
  chmodSync(own, 0o755);
  claimDataDir(own);
  assert.equal((statSync(own).mode & 0o777).toString(8), '700', 'an existing directory is tightened');

  if (process.getuid?.() !== 0) {
    if (process.env['CI'] === 'true') assert.fail('needs root to give a directory to another user');
    return t.skip('needs root to give a directory to another user');
  }
  const foreign = join(dir, 'foreign');
  mkdirSync(foreign, { mode: 0o755 });
  chownSync(foreign, 65534, 65534);
  // Nothing is asked of the API before the directory is checked: this client has no server.
  const client = new KubeClient({
    server: 'http://127.0.0.1:9',
    token: 't',
    namespace: 'default',
    contextName: 'test',
  });
  t.after(() => client.close());
  await assert.rejects(
    Agent.start({ client, dataDir: foreign, nodeName: 'n1' }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'AGENT_DATA_DIR_FOREIGN');
      assert.match(err.message, /data directory .*foreign is owned by uid 65534, not by this user \(uid 0\)/);
      return true;
    },
  );
  assert.equal((statSync(foreign).mode & 0o777).toString(8), '755', 'a refused directory is left alone');
});
