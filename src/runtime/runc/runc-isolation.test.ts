import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readAll, waitFor } from '../runtime-contract.js';
import type { ContainerSpec, ContainerStatus } from '../runtime.js';
import { buildHostImage, type HostImage } from '../testing/host-image.js';
import { runcMissing } from '../testing/runc-testing.js';
import { isMounted } from '../mounts.js';
import { planVolume } from '../volume-plan.js';
import { podVolumesDir, removePodVolumes, writeVolume } from '../volumes.js';
import { RuncRuntime } from './runc-runtime.js';

// What a container must not do, on real runc and a real kernel: see the host's processes, read
// another container's files, outgrow its memory or pids limit, write a read-only root, or hold
// CAP_SYS_ADMIN unless privileged.
const missing = runcMissing();
if (missing !== undefined && process.env['CI'] === 'true')
  throw new Error(`the runc isolation tests ${missing}`);
if (missing !== undefined) process.stderr.write(`skipping the runc isolation tests: ${missing}\n`);

describe('runc isolation', missing === undefined ? {} : { skip: missing }, () => {
  let image: HostImage;
  let dir: string;
  let rt: RuncRuntime;
  let seq = 0;
  before(() => {
    image = buildHostImage();
    dir = mkdtempSync(join(tmpdir(), 'stratus-runc-isolation-'));
    rt = new RuncRuntime({ dataDir: dir, defaultImage: image.image });
  });
  after(async () => {
    for (const c of await rt.list()) await rt.remove(c.id);
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
    image.close();
  });

  const spec = (script: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    podUid: `iso-${seq}`,
    podNamespace: 'default',
    podName: `iso-${seq++}`,
    containerName: 'main',
    attempt: 0,
    command: ['/bin/sh', '-c', script],
    env: {},
    ...extra,
  });

  /** Runs a shell script to its end; its exit status and its log. */
  async function run(script: string, extra: Partial<ContainerSpec> = {}): Promise<[ContainerStatus, string]> {
    const id = await rt.start(spec(script, extra));
    const status = await rt.wait(id);
    const log = await readAll(await rt.logs(id));
    await rt.remove(id);
    return [status, log];
  }

  test('a container sees only its own processes (pid namespace)', async () => {
    const [s, log] = await run(
      `ls -d /proc/[0-9]* | wc -l; head -c 17 /proc/1/cmdline; echo; test -e /proc/${process.pid}/environ && echo SEES-HOST || true`,
    );
    assert.equal(s.exitCode, 0, log);
    const [count = '', init = ''] = log.split('\n');
    assert.ok(Number(count) <= 5, `the container sees ${count} processes`);
    assert.equal(init, '/run/stratus-init', 'pid 1 is the container init');
    // A pid of the host may exist in the namespace by chance only if the namespace has that many processes.
    if (process.pid > 5) assert.doesNotMatch(log, /SEES-HOST/);
  });

  test("a container cannot read another container's files nor the runtime's data", async () => {
    const a = await rt.start(spec(`echo secret > /root-secret; echo written; sleep 300`));
    await waitFor('the secret to be written', async () =>
      (await readAll(await rt.logs(a))).includes('written') ? true : undefined,
    );
    const [s, log] = await run(
      `cat /root-secret 2>&1; ls ${dir} 2>&1; cat /proc/*/root/root-secret 2>&1; echo end`,
    );
    assert.equal(s.exitCode, 0);
    assert.doesNotMatch(log, /^secret$/m, 'another container read the secret');
    assert.match(log, new RegExp(`${dir}: No such file or directory`));
    await rt.remove(a);
  });

  test('a container past its memory limit is OOM-killed and reads OOMKilled', async () => {
    const hog = `const a = []; console.log('start'); for (let i = 0; i < 4096; i++) a.push(Buffer.alloc(1 << 20, 1)); console.log('survived')`;
    const id = await rt.start(
      spec('', { command: [process.execPath, '-e', hog], limits: { memoryBytes: 64 * 1024 * 1024 } }),
    );
    const s = await rt.wait(id);
    assert.deepEqual([s.exitCode, s.reason], [137, 'OOMKilled']);
    assert.doesNotMatch(await readAll(await rt.logs(id)), /survived/);
    await rt.remove(id);
  });

  test('a container cannot fork past its pids limit', async () => {
    // Each iteration echoes (a builtin) then forks a sleep; the shell gives up at the first refusal.
    const [s, log] = await run(
      `i=0; while [ $i -lt 40 ]; do echo $i; sleep 30 & i=$((i+1)); done; echo all-forked`,
      {
        limits: { pids: 16 },
      },
    );
    assert.notEqual(s.exitCode, 0, log);
    assert.match(log, /can't fork/);
    assert.doesNotMatch(log, /all-forked/);
    const last = Math.max(...[...log.matchAll(/^(\d+)$/gm)].map((m) => Number(m[1])));
    assert.ok(last < 16, `forked ${last + 1} processes under a limit of 16`);
  });

  test('a read-only root file system cannot be written; volumes still can', async () => {
    const vol = mkdtempSync(join(dir, 'vol-'));
    const [s, log] = await run(`touch /x 2>&1 || echo refused; touch /data/ok && echo volume-ok`, {
      security: { readOnlyRootFilesystem: true },
      mounts: [{ name: 'data', mountPath: '/data', hostPath: vol }],
    });
    assert.equal(s.exitCode, 0, log);
    assert.match(log, /Read-only file system/);
    assert.match(log, /refused\nvolume-ok/);
    const [, writable] = await run(`touch /x && echo wrote`);
    assert.match(writable, /wrote/);
  });

  test('no CAP_SYS_ADMIN unless privileged', async () => {
    const script = `grep CapEff /proc/self/status; mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>&1 && echo mounted || echo mount-refused`;
    const capEff = (log: string): bigint => BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(log)?.[1] ?? '0'}`);
    const SYS_ADMIN = 1n << 21n;
    const [, plain] = await run(script);
    assert.equal(capEff(plain) & SYS_ADMIN, 0n, plain);
    assert.notEqual(capEff(plain) & (1n << 0n), 0n, 'CAP_CHOWN is one of the defaults');
    assert.match(plain, /mount-refused/);
    const [, privileged] = await run(script, { security: { privileged: true } });
    assert.equal(capEff(privileged) & SYS_ADMIN, SYS_ADMIN, privileged);
    assert.match(privileged, /mounted/);
  });

  test("a pod's containers share its IPC and UTS namespaces and /dev/shm; another pod's do not", async () => {
    const pod = { podUid: `shared-${seq}`, podName: `shared-${seq}` };
    const look = `readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts; hostname; cat /dev/shm/mark 2>&1 || true`;
    const a = await rt.start(
      spec(`echo from-a > /dev/shm/mark; ${look}; echo ready; sleep 300`, { ...pod, containerName: 'a' }),
    );
    const seen = await waitFor('the first container to be ready', async () => {
      const log = await readAll(await rt.logs(a));
      return log.includes('ready') ? log : undefined;
    });
    const [sb, sibling] = await run(look, { ...pod, containerName: 'b' });
    const [so, other] = await run(look);
    assert.deepEqual([sb.exitCode, so.exitCode], [0, 0]);
    const lines = (log: string): string[] => log.split('\n').slice(0, 4);
    const [ipc, uts, hostname, mark] = lines(seen);
    assert.match(ipc ?? '', /^ipc:\[\d+\]$/);
    assert.equal(hostname, pod.podName);
    assert.equal(mark, 'from-a');
    assert.deepEqual(lines(sibling), [ipc, uts, hostname, mark], 'the sibling shares them');
    const [oIpc, oUts, oHost, oMark] = lines(other);
    assert.notEqual(oIpc, ipc);
    assert.notEqual(oUts, uts);
    assert.notEqual(oHost, hostname);
    assert.match(oMark ?? '', /No such file/);
    // The pod's namespaces go with its last container.
    const podDir = join(dir, 'pod-namespaces', pod.podUid);
    assert.ok(isMounted(join(podDir, 'ipc')));
    await rt.stop(a, { gracePeriodSeconds: 0 });
    await rt.remove(a);
    assert.equal(existsSync(podDir), false, 'the pod namespaces are removed');
    assert.ok(!isMounted(join(podDir, 'ipc')) && !isMounted(join(podDir, 'shm')));
  });

  test('a memory-backed emptyDir is one tmpfs the containers of its pod share', async () => {
    const pod = { podUid: `mem-${seq}`, podName: `mem-${seq}` };
    const plan = planVolume(
      { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '2Mi' } },
      { configMap: () => undefined, secret: () => undefined },
    );
    // The agent's volumes live beside the runtime's folder, as DATA_DIR/pods beside DATA_DIR/runc.
    const agentDir = join(dir, 'agent');
    const hostPath = writeVolume(plan, podVolumesDir(agentDir, pod.podUid));
    const mounts = [{ name: 'cache', mountPath: '/cache', hostPath }];
    try {
      const [s1, w] = await run(`echo one > /cache/f && grep ' /cache ' /proc/mounts`, {
        ...pod,
        containerName: 'w',
        mounts,
      });
      assert.equal(s1.exitCode, 0, w);
      assert.match(w, /^\S+ \/cache tmpfs /m);
      const [s2, r] = await run(`cat /cache/f; df -k /cache | tail -1`, {
        ...pod,
        containerName: 'r',
        mounts,
      });
      assert.equal(s2.exitCode, 0, r);
      assert.match(r, /^one\n\S+\s+2048\s/);
    } finally {
      removePodVolumes(agentDir, pod.podUid);
    }
    assert.ok(!isMounted(hostPath));
  });

  test('the default seccomp profile refuses unshare with EPERM; Unconfined and privileged allows it', async () => {
    const script = `grep Seccomp: /proc/self/status; unshare -U true 2>&1 && echo unshared || echo unshare-refused`;
    const [s1, confined] = await run(script);
    assert.equal(s1.exitCode, 0, confined);
    assert.match(confined, /Seccomp:\s+2/);
    assert.match(confined, /Operation not permitted\nunshare-refused/);
    const [, explicit] = await run(script, { security: { seccompProfile: { type: 'RuntimeDefault' } } });
    assert.match(explicit, /Seccomp:\s+2[\s\S]*unshare-refused/);
    const [s2, free] = await run(script, {
      security: { seccompProfile: { type: 'Unconfined' }, privileged: true },
    });
    assert.equal(s2.exitCode, 0, free);
    assert.match(free, /Seccomp:\s+0/);
    assert.match(free, /^unshared$/m);
    await assert.rejects(
      rt.start(
        spec('true', { security: { seccompProfile: { type: 'Localhost', localhostProfile: 'my.json' } } }),
      ),
      /seccompProfile type Localhost \(my.json\), which this node does not support: use RuntimeDefault or Unconfined/,
    );
  });
});
