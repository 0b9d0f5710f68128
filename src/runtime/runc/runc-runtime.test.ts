import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readAll, runtimeContract, waitFor } from '../runtime-contract.js';
import { buildHostImage, type HostImage } from '../testing/host-image.js';
import { runcMissing, skipUnlessRunc } from '../testing/runc-testing.js';
import { isMounted } from '../mounts.js';
import { groupPids, readProcStat } from '../proc-stat.js';
import { mountOverlay, rootfsPaths } from './rootfs.js';
import { RuncRuntime } from './runc-runtime.js';

// The shared contract on real runc: containers get the host-built image (busybox + the host's
// node at the same path) as the runtime's default image, since the contract's specs name none.
const missing = runcMissing();
if (missing !== undefined && process.env['CI'] === 'true') throw new Error(`the runc contract ${missing}`);
if (missing !== undefined) process.stderr.write(`skipping the runc runtime contract: ${missing}\n`);
let image: HostImage | undefined;
after(() => image?.close());

runtimeContract(
  'runc',
  (dataDir) => {
    image ??= buildHostImage();
    return new RuncRuntime({ dataDir, defaultImage: image.image });
  },
  { skip: missing },
);

// The same contract on the fallback for a host without the shim: `runc run` in the foreground.
runtimeContract(
  'runc without the shim',
  (dataDir) => {
    image ??= buildHostImage();
    return new RuncRuntime({ dataDir, defaultImage: image.image, shimBinary: null });
  },
  { skip: missing },
);

test('runc: a running container keeps no runc process, only its wrapper and the shim', async (t) => {
  if (skipUnlessRunc(t)) return;
  image ??= buildHostImage();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-runc-shim-'));
  const rt = new RuncRuntime({ dataDir: dir, defaultImage: image.image });
  const comm = (pid: number): string => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  const ppid = (pid: number): number =>
    Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
  let id: string | undefined;
  try {
    id = await rt.start({
      podUid: 'u-shim',
      podNamespace: 'default',
      podName: 'p-shim',
      containerName: 'main',
      attempt: 0,
      command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
      env: {},
    });
    const init = (await rt.status(id)).pid ?? 0;
    // `runc run --detach` may still be exiting: the init moves to the shim once it has.
    const shim = await waitFor(
      'the container init re-parented to the shim',
      () => (comm(ppid(init)) === 'stratus-runc-sh' ? ppid(init) : undefined), // comm is cut at 15
      60_000,
    );
    assert.equal(comm(ppid(shim)), 'sh');
    const group = await waitFor('runc gone from the wrapper group', () => {
      const pids = groupPids(readProcStat(shim)?.pgrp ?? 0).filter((p) => p !== init);
      return pids.length === 2 ? pids : undefined;
    });
    assert.deepEqual(group.map(comm).sort(), ['sh', 'stratus-runc-sh'], 'no resident runc');
    const s = await rt.stop(id, { gracePeriodSeconds: 5 });
    assert.deepEqual([s.exitCode, s.reason], [143, 'Error']);
  } finally {
    if (id !== undefined) await rt.remove(id);
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runc: containers survive an agent killed with SIGKILL and are adopted with their output', async (t) => {
  if (skipUnlessRunc(t)) return;
  image ??= buildHostImage();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-runc-adopt-'));
  const moduleUrl = new URL('./runc-runtime.js', import.meta.url).href;
  const spec = {
    podUid: 'u1',
    podNamespace: 'default',
    podName: 'p1',
    containerName: 'main',
    attempt: 0,
    command: [process.execPath, '-e', `let i = 0; setInterval(() => console.log('tick ' + i++), 50)`],
    env: {},
  };
  // The first runtime lives in a child process that dies without any chance to clean up.
  const script = `
    const { RuncRuntime } = await import(${JSON.stringify(moduleUrl)});
    const rt = new RuncRuntime({ dataDir: process.argv[1], defaultImage: ${JSON.stringify(image.image)} });
    console.log(await rt.start(${JSON.stringify(spec)}));
    setInterval(() => {}, 1000);`;
  const agent = spawn(process.execPath, ['--input-type=module', '-e', script, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const adopter = await (async () => {
    try {
      const id = await new Promise<string>((resolve, reject) => {
        agent.stdout.setEncoding('utf8').once('data', (d: string) => resolve(d.trim()));
        agent.once('exit', () => reject(new Error('the agent process exited early')));
      });
      agent.kill('SIGKILL');
      await new Promise((r) => agent.once('close', r));
      return { id, rt: new RuncRuntime({ dataDir: dir, defaultImage: image?.image }) };
    } finally {
      agent.kill('SIGKILL');
    }
  })();
  const { id, rt } = adopter;
  try {
    assert.equal((await rt.status(id)).state, 'running');
    assert.equal((await rt.list()).length, 1, 'adopted, not started again');
    await waitFor('ticks after adoption', async () =>
      (await readAll(await rt.logs(id))).includes('tick 20') ? true : undefined,
    );
    const lines = (await readAll(await rt.logs(id))).trimEnd().split('\n');
    lines.forEach((line, i) => assert.equal(line, `tick ${i}`));
    const s = await rt.stop(id, { gracePeriodSeconds: 5 });
    assert.deepEqual([s.exitCode, s.reason], [143, 'Error']);
  } finally {
    await rt.remove(id);
    await rt.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runc: a bundle left by a start that crashed before its record is unmounted and removed', async (t) => {
  if (skipUnlessRunc(t)) return;
  image ??= buildHostImage();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-runc-orphan-'));
  const first = new RuncRuntime({ dataDir: dir, defaultImage: image.image });
  await first.close();
  const bundle = join(dir, 'bundles', 'feedfacecafebeef');
  await mountOverlay(image.image.layerDirs, rootfsPaths(bundle));
  assert.ok(isMounted(rootfsPaths(bundle).rootfs));
  const second = new RuncRuntime({ dataDir: dir, defaultImage: image.image });
  try {
    await waitFor('the orphan bundle to go', () => (existsSync(bundle) ? undefined : true));
    assert.equal(isMounted(rootfsPaths(bundle).rootfs), false);
    assert.deepEqual(await second.list(), []);
  } finally {
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
