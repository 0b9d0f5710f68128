import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { collect, MAIN_JS } from './cli-harness.js';

async function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const r = await collect(spawn(process.execPath, [MAIN_JS, ...args], { env: process.env }));
  return { code: r.code, stderr: r.stderr };
}

test('server, up and agent refuse bad node timing, scheduler and Service range flags before starting anything', async () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ['server', '--node-monitor-grace-period', '40'],
      /--node-monitor-grace-period must be a duration .* not "40"/,
    ],
    [
      ['up', '--pod-eviction-timeout', '5 minutes'],
      /--pod-eviction-timeout must be a duration .* not "5 minutes"/,
    ],
    [
      ['server', '--scheduler-strategy', 'random'],
      /--scheduler-strategy must be binpack or spread, not "random"/,
    ],
    [
      ['server', '--service-cluster-ip-range', '10.0.0.0/8'],
      /--service-cluster-ip-range: service cluster IP range "10\.0\.0\.0\/8" must have a prefix length from 12 to 30/,
    ],
    [
      ['server', '--cluster-cidr', 'fd00::/48'],
      /--cluster-cidr: cluster CIDR "fd00::\/48" is not an IPv4 CIDR/,
    ],
    [
      ['up', '--service-node-port-range', '30000-20000'],
      /--service-node-port-range: node port range "30000-20000" must be LOW-HIGH within 1-65535/,
    ],
    [
      ['agent', '--server', 'http://127.0.0.1:1', '--token', 't', '--node-status-update-frequency', '0s'],
      /--node-status-update-frequency must be a duration .* not "0s"/,
    ],
    [
      ['agent', '--server', 'http://127.0.0.1:1', '--token', 't', '--node-ip', '0.0.0.0'],
      /--node-ip must be this node's IP address, not "0\.0\.0\.0"/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, message);
  }
});
