import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the real kubectl lives on the test machines. */
export const KUBECTL = '/usr/bin/kubectl';

/** Why kubectl tests skip (undefined when kubectl is there); under CI a missing kubectl is an error. */
export function kubectlSkipReason(): string | undefined {
  if (existsSync(KUBECTL)) return undefined;
  if (process.env.CI === 'true') throw new Error(`kubectl is required under CI (${KUBECTL} is missing)`);
  return `kubectl not installed at ${KUBECTL}`;
}

/** What a kubectl run printed. */
export interface KubectlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with its own HOME under `dir` and the given kubeconfig; killed after 60 s. */
export function runKubectl(dir: string, kubeconfig: string, args: string[]): Promise<KubectlRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(dir, 'home'), KUBECONFIG: kubeconfig },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
