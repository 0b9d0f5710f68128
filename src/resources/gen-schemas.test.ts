import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// This file compiles to <build>/src/resources/; the generator to <build>/scripts/.
const generator = fileURLToPath(new URL('../../scripts/gen-schemas.js', import.meta.url));
// The checked-in JSON lives in the source tree, beside the build folder.
const checkedIn = fileURLToPath(new URL('../../../src/resources/schemas/kubernetes.json', import.meta.url));
const built = fileURLToPath(new URL('./schemas/kubernetes.json', import.meta.url));

test('the checked-in schemas are what the generator makes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-schemas-'));
  try {
    const out = join(dir, 'kubernetes.json');
    const r = spawnSync(process.execPath, [generator, out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const fresh = readFileSync(out, 'utf8');
    const committed = readFileSync(existsSync(checkedIn) ? checkedIn : built, 'utf8');
    assert.ok(
      fresh === committed,
      'src/resources/schemas/kubernetes.json is stale: run `node dist/scripts/gen-schemas.js` after building',
    );
    assert.ok(statSync(out).size < 400 * 1024, 'the schema stays compact');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
