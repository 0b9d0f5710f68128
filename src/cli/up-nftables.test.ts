/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- tests read kubectl JSON by path */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNft, ownerComment, tableName } from '../network/index.js';
import { eventually, runLoad } from '../network/testing/index.js';
import { MAIN_JS } from './cli-harness.js';
import {
  curl,
  manifests,
  missingTool,
  podNames,
  responders,
  run,
  same,
  withCloud,
} from './services-harness.js';
import { freePort } from '../common/free-port.js';

// The kernel path of issue 10 through `stratus up --proxy-mode nftables` (root and nft needed).

const nft = findNft();
const nftMissing = 'missing' in nft ? nft.missing : undefined;
if (nftMissing !== undefined && process.env.CI === 'true')
  throw new Error(`${nftMissing}; required under CI`);

test(
  'the nftables path: TCP Services as DNAT rules in the node’s table, shown by explain; stratus up --cleanup removes a crashed one’s table',
  { skip: missingTool ? `${missingTool} is not installed` : (nftMissing ?? false) },
  async () => {
    const nftBinary = (nft as { binary: string }).binary;
    const table = tableName(hostname().toLowerCase());
    const tables = () => run(nftBinary, ['list', 'tables', 'ip']);
    await withCloud('nftables', async (kubectl, stratus) => {
      const dir = await mkdtemp(join(tmpdir(), 'stratus-echo-'));
      await writeFile(join(dir, 'echo.yaml'), manifests(await freePort(), 5));
      await kubectl('apply', '-f', join(dir, 'echo.yaml'));
      await rm(dir, { recursive: true, force: true });
      await kubectl('rollout', 'status', 'deploy/echo', '--timeout=90s');
      const two = await podNames(kubectl);
      const rr = JSON.parse(await kubectl('get', 'svc', 'echo-rr', '-o', 'json'));
      const [ip, nodePort] = [rr.spec.clusterIP as string, rr.spec.ports[0].nodePort as number];
      await eventually('both pods behind the ClusterIP', async () =>
        same(await responders(ip, 8080, 6), two),
      );
      assert.ok(two.has(await eventually('the NodePort', () => curl('127.0.0.1', nodePort))));
      const tcpIP = JSON.parse(await kubectl('get', 'svc', 'echo-tcp', '-o', 'json')).spec
        .clusterIP as string;
      const pinned = await eventually('the affine Service', () => curl(tcpIP, 8080));
      assert.deepEqual([...(await responders(tcpIP, 8080, 12))], [pinned]);
      // The kernel, not a listener, answers: the rules are in the node's table.
      assert.match(
        await run(nftBinary, ['list', 'table', 'ip', table]),
        new RegExp(ip.replace(/\./g, '\\.')),
      );
      assert.match(
        await stratus('explain', 'service', 'echo-rr'),
        /data plane nftables .*algorithm round-robin/,
      );
      // A rolling update under load, a connection per request: with a preStop delay, as
      // Kubernetes users give pods behind kube-proxy, the rules move before a pod stops
      // listening, and no request fails.
      const rollout = kubectl('set', 'env', 'deploy/echo', 'VERSION=2').then(() =>
        kubectl('rollout', 'status', 'deploy/echo', '--timeout=120s'),
      );
      const load = await runLoad({
        host: ip,
        port: 8080,
        clients: 4,
        durationMs: 150_000,
        maxRequests: 100_000,
        until: rollout,
        keepAlive: false,
      });
      await rollout;
      assert.deepEqual(load.failures, {});
      assert.ok(load.ok > 0);
    });
    assert.doesNotMatch(await tables(), new RegExp(`table ip ${table}\n`), 'the agent removed its table');
    // A crash leaves the table behind; stratus up --cleanup removes it, and keeps a table
    // whose process still runs (here the test's own).
    await run(nftBinary, ['add', 'table', 'ip', table]);
    const kept = `${table}-live`;
    await run(nftBinary, ['add', 'table', 'ip', kept, `{ ${ownerComment()}; }`]);
    try {
      const cleaned = await run(process.execPath, [MAIN_JS, 'up', '--cleanup']);
      assert.match(cleaned, new RegExp(`nftables: removed table ip ${table}\n`));
      assert.doesNotMatch(cleaned, new RegExp(`table ip ${kept}`));
      assert.doesNotMatch(await tables(), new RegExp(`table ip ${table}\n`));
      assert.match(await tables(), new RegExp(`table ip ${kept}\n`));
    } finally {
      await run(nftBinary, ['delete', 'table', 'ip', kept]);
    }
  },
);
