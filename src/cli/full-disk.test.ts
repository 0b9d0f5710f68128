import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  rmdirSync,
  writeSync,
  openSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GetObjectCommand, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { KubeClient, StatusError } from '../client/index.js';
import { parseCredentialsIni } from '../objectstore/s3/credentials.js';
import { sdkClient } from '../objectstore/testing.js';
import { killAgentPods, MAIN_JS, NO_FIXED_PORTS, OutputBuffer } from './cli-harness.js';

const SIZE_MIB = 48;

function cannotRun(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs';
  if (!existsSync('/bin/mount') && !existsSync('/usr/bin/mount')) return 'needs mount(8)';
  return undefined;
}

const skip = cannotRun();
if (skip !== undefined && process.env['CI'] === 'true') throw new Error(`full-disk test under CI: ${skip}`);

/** The body stored under a key: derived from the key, so a re-read checks it byte for byte. */
function bodyOf(key: string, size: number): Buffer {
  const seed = createHash('sha256').update(key).digest();
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += seed.length) seed.copy(out, i);
  return out;
}

/** Appends zeros to `file` until the disk refuses more: the disk is full to the brim. */
function fillDisk(file: string): number {
  const fd = openSync(file, 'a');
  const chunk = Buffer.alloc(256 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as { code?: string }).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  return written;
}

test(
  'a full disk fails writes with errors, loses nothing acknowledged, and the cloud keeps serving',
  { skip: skip ?? false, timeout: 240_000 },
  async (t) => {
    const mnt = mkdtempSync(join(tmpdir(), 'stratus-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MIB}m,mode=0700`, 'tmpfs', mnt]);
    const home = mkdtempSync(join(tmpdir(), 'stratus-full-home-'));
    const dataDir = join(mnt, 'data');
    const child = spawn(
      process.execPath,
      [MAIN_JS, 'up', '--data-dir', dataDir, '--port', '0', '--s3-port', '0', ...NO_FIXED_PORTS],
      {
        env: { ...process.env, HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const stdout = new OutputBuffer(child.stdout);
    const stderr = new OutputBuffer(child.stderr);
    t.after(async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      killAgentPods(join(dataDir, 'agent'));
      try {
        execFileSync('umount', [mnt]);
      } catch {
        execFileSync('umount', ['-l', mnt]); // still busy: detach it now, the kernel frees it later
      }
      rmdirSync(mnt);
      rmSync(home, { recursive: true, force: true });
    });
    const out = await stdout.waitFor(/Node \S+ ready/, 60_000);
    const kubeconfig = /kubeconfig: (\S+)/.exec(out)?.[1] ?? '';
    const s3Url = /S3 endpoint: (\S+)/.exec(out)?.[1] ?? '';
    const creds = parseCredentialsIni(readFileSync(/S3 credentials: (\S+)/.exec(out)?.[1] ?? '', 'utf8'));
    const kube = KubeClient.fromKubeconfig(kubeconfig);
    const ca = readFileSync(/CA certificate: (\S+)/.exec(out)?.[1] ?? '', 'utf8');
    const s3 = sdkClient(
      s3Url,
      { accessKeyId: creds.accessKeyId ?? '', secretAccessKey: creds.secretAccessKey ?? '' },
      { ca },
    );
    t.after(async () => {
      s3.destroy();
      await kube.close();
    });

    // A pod that logs about 100 KB/s.
    await kube.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'chatty', namespace: 'default' },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'node',
            command: [
              process.execPath,
              '-e',
              "let i=0; setInterval(() => { for (let k = 0; k < 50; k++) console.log('line', i++, 'x'.repeat(200)) }, 100)",
            ],
          },
        ],
      },
    });
    for (let i = 0; i < 600; i++) {
      const pod = (await kube.get('pods', 'chatty', { namespace: 'default' })) as {
        status?: { phase?: string };
      };
      if (pod.status?.phase === 'Running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await s3.send(new CreateBucketCommand({ Bucket: 'full' }));

    // Writers: S3 objects (inline-sized and file-sized) and ConfigMaps, until told to stop.
    const acked = { objects: new Map<string, number>(), configMaps: [] as string[] };
    const failures = { s3: [] as string[], store: [] as string[] };
    let stop = false;
    const s3Writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const key = `w${w}/o${i}`;
        const size = i % 2 === 0 ? 8 * 1024 : 300 * 1024;
        try {
          await s3.send(new PutObjectCommand({ Bucket: 'full', Key: key, Body: bodyOf(key, size) }));
          acked.objects.set(key, size);
        } catch (err) {
          const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
          failures.s3.push(`${e.name ?? String(err)} ${e.$metadata?.httpStatusCode ?? ''}`);
        }
      }
    };
    const storeWriter = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const name = `cm-${w}-${i}`;
        try {
          await kube.create('configmaps', {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name, namespace: 'default' },
            data: { v: bodyOf(name, 2048).toString('hex') },
          });
          acked.configMaps.push(name);
        } catch (err) {
          assert.ok(err instanceof StatusError, `a store write failed without a Status: ${String(err)}`);
          failures.store.push(`${err.status} ${err.message}`);
        }
      }
    };
    const writers = Promise.all([0, 1, 2].map(s3Writer).concat([0, 1].map(storeWriter)));
    const filler = join(mnt, 'filler');
    await new Promise((r) => setTimeout(r, 500));
    const filled = fillDisk(filler);
    assert.ok(filled > 0);
    // The disk stays full (topped up as failed writers free their partial files) until writes of
    // both kinds failed and the agent saw a log write of the chatty pod refused.
    const logRefused = /disk pressure: pod default\/chatty: Cannot write the log/;
    for (
      let i = 0;
      i < 1200 && (failures.s3.length < 5 || failures.store.length < 5 || !logRefused.test(stderr.text));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
      fillDisk(filler);
    }
    assert.match(stderr.text, logRefused);
    stop = true;
    await writers;
    assert.ok(failures.s3.length >= 5, `S3 writes failed: ${failures.s3.length}`);
    assert.ok(failures.store.length >= 5, `store writes failed: ${failures.store.length}`);
    for (const f of failures.s3) assert.match(f, /^(ServiceUnavailable 503|InternalError 500|SlowDown 503)$/);
    for (const f of failures.store) assert.match(f, /^(507|500) /);
    assert.equal(child.exitCode, null, `stratus up died: ${stderr.text}`);
    assert.ok(acked.objects.size > 0 && acked.configMaps.length > 0, 'some writes were acknowledged');

    // Free the disk: writes work again, and every acknowledged write is there, byte for byte.
    rmSync(filler);
    let again = false;
    for (let i = 0; i < 600 && !again; i++) {
      try {
        await s3.send(
          new PutObjectCommand({ Bucket: 'full', Key: 'after', Body: bodyOf('after', 300 * 1024) }),
        );
        await kube.create('configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `after-${i}`, namespace: 'default' },
        });
        again = true;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(again, 'writes succeed once there is room again');
    for (const [key, size] of acked.objects) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'full', Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      assert.ok(bytes.equals(bodyOf(key, size)), `object ${key} read back whole`);
    }
    for (const name of acked.configMaps) {
      const cm = (await kube.get('configmaps', name, { namespace: 'default' })) as { data?: { v?: string } };
      assert.equal(cm.data?.v, bodyOf(name, 2048).toString('hex'), `ConfigMap ${name}`);
    }

    // The agent reported the refused log writes on the Node, and the pod's log still reads.
    let pressure: { status?: string; message?: string } | undefined;
    for (let i = 0; i < 1200; i++) {
      const node = (await kube.list('nodes')).items[0] as {
        status?: { conditions?: Array<{ type: string; status?: string; message?: string }> };
      };
      pressure = node.status?.conditions?.find((c) => c.type === 'DiskPressure');
      if (pressure?.status === 'True') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(pressure?.status, 'True');
    assert.match(pressure?.message ?? '', /no space left on device|short write|ENOSPC/);
    const log = await kube.request<string>('GET', '/api/v1/namespaces/default/pods/chatty/log?tailLines=1');
    assert.match(log.body, /^line \d+ x+\n$/);
    assert.equal(child.exitCode, null, `stratus up died: ${stderr.text}`);
  },
);
