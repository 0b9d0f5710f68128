import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startTestCluster, type TestCluster } from './testing.js';

// Debian's python3-kubernetes (the official client, under kopf, Ansible's k8s modules, Airflow)
// runs on Debian's own python3, whatever else is first on PATH.
const PYTHON = '/usr/bin/python3';
const MARKER = '/usr/lib/python3/dist-packages/kubernetes/__init__.py';
const missing =
  existsSync(PYTHON) && existsSync(MARKER) ? undefined : `python3-kubernetes not installed (${MARKER})`;
if (missing !== undefined && process.env.CI === 'true')
  throw new Error(`${missing}; it is required under CI`);
if (missing !== undefined) console.log(`# skipping the python3-kubernetes tests: ${missing}`);
const skip = missing ?? false;
const SCRIPT = fileURLToPath(new URL('../../../src/api/testing/python-client.py', import.meta.url));

let c: TestCluster;
before(async () => {
  if (!missing) c = await startTestCluster();
});
after(async () => {
  if (!missing) await c.close();
});

test(
  'python3-kubernetes: list, create, patch, scale, 404, watch and resume, delete with propagation',
  { skip },
  async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(PYTHON, [SCRIPT, c.server.kubeconfigPath], { timeout: 120_000 }, (err, out, errOut) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: out, stderr: errOut }),
        );
      },
    );
    assert.equal(code, 0, `the Python client failed after:\n${stdout}\n${stderr}`);
    for (const step of [
      'create',
      'watch, and resume by resourceVersion',
      'delete with Foreground propagation',
    ]) {
      assert.match(stdout, new RegExp(`^ok ${step}$`, 'm'));
    }
  },
);
