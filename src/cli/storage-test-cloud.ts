import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { sdkClient } from '../objectstore/testing.js';
import { collect, MAIN_JS, type CliResult } from './cli-harness.js';
import { startServer, type RunningObjectStore, type RunningServer } from './server.js';

/**
 * A test cloud with the object store on: a server on free ports whose engine has three
 * device folders in three zones (so each object gets three copies), the real `stratus` CLI run
 * as a child process against its kubeconfig, and AWS SDK clients for its S3 endpoint. For the
 * storage and S3 key commands' end-to-end tests; `close()` stops everything and removes the folder.
 */
export class StorageTestCloud {
  private constructor(
    readonly dir: string,
    readonly server: RunningServer,
    readonly s3: RunningObjectStore,
  ) {}

  /** Starts the cloud in a fresh temp folder. */
  static async start(): Promise<StorageTestCloud> {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-storage-cli-'));
    try {
      const server = await startServer({
        dataDir: join(dir, 'data'),
        apiPort: 0,
        s3Port: 0,
        storageDevices: ['a', 'b', 'c'].map((z, i) => ({
          id: `dev${i}`,
          path: join(dir, `disk-${z}`),
          zone: z,
        })),
      });
      if (!server.s3) throw new Error('the server did not start the object store');
      return new StorageTestCloud(dir, server, server.s3);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Runs `stratus ARGS…` to completion with this cloud's kubeconfig and a private HOME. */
  run(args: readonly string[]): Promise<CliResult> {
    const child = spawn(process.execPath, [MAIN_JS, ...args], {
      cwd: this.dir,
      env: { ...process.env, KUBECONFIG: this.server.kubeconfigPath, HOME: this.dir },
    });
    return collect(child, { timeoutMs: 60_000 });
  }

  /** An AWS SDK client for the S3 endpoint with the given key pair. */
  client(key: { accessKeyId: string; secretAccessKey: string }): S3Client {
    return sdkClient(this.s3.url, key, { ca: this.server.tls.trust?.pem });
  }

  async close(): Promise<void> {
    await this.server.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Reads `aws_access_key_id` / `aws_secret_access_key` pairs out of CLI output or an INI file. */
export function parseKeyPair(text: string): { accessKeyId: string; secretAccessKey: string } {
  const value = (name: string): string => new RegExp(`${name}\\s*=\\s*(\\S+)`).exec(text)?.[1] ?? '';
  return { accessKeyId: value('aws_access_key_id'), secretAccessKey: value('aws_secret_access_key') };
}
