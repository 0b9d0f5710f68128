import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { buildHostImage } from '../testing/host-image.js';
import { skipUnlessRunc } from '../testing/runc-testing.js';
import { runOnce } from './run-once.js';

test('runOnce runs a build step over the layers, its writes land in the upper dir', async (t) => {
  if (skipUnlessRunc(t)) return;
  const image = buildHostImage();
  const dir = mkdtempSync(join(tmpdir(), 'stratus-run-once-test-'));
  try {
    const upperDir = join(dir, 'layer');
    const output = new PassThrough();
    let text = '';
    output.setEncoding('utf8').on('data', (d: string) => (text += d));
    const code = await runOnce({
      layerDirs: image.image.layerDirs,
      upperDir,
      command: [
        '/bin/sh',
        '-c',
        'echo "$GREETING from $(pwd) as $(id -u):$(id -g)"; echo built > /tmp/made.txt; echo oops >&2; exit 3',
      ],
      env: ['GREETING=hello', 'PATH=/bin'],
      workingDir: '/srv/app',
      user: 'app',
      output,
    });
    assert.equal(code, 3);
    assert.match(text, /hello from \/srv\/app as 1000:1000\n/);
    assert.match(text, /oops/);
    assert.equal(readFileSync(join(upperDir, 'tmp/made.txt'), 'utf8'), 'built\n');
    const asRoot = await runOnce({
      layerDirs: image.image.layerDirs,
      upperDir,
      command: ['/bin/sh', '-c', 'rm /etc/group && test -e /tmp/made.txt'],
      env: [],
      workingDir: '/',
      output,
    });
    assert.equal(asRoot, 0, text);
    assert.ok(existsSync(join(upperDir, 'etc/group')), 'the removal is a whiteout in the upper dir');
    assert.ok(existsSync(join(image.image.layerDirs[0] ?? '', 'etc/group')), 'lower layers are untouched');
    assert.equal(readFileSync('/proc/self/mountinfo', 'utf8').includes(upperDir), false, 'unmounted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    image.close();
  }
});
