import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { MAIN_JS } from './cli-harness.js';

test('a reader that stops early (stratus … | head) ends the CLI quietly, not with an EPIPE crash', async () => {
  const child = spawn(process.execPath, [MAIN_JS, 'help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Close our end before the CLI writes: its first write to stdout meets a closed pipe.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
});
