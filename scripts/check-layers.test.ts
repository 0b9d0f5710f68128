import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { checkLayers, moduleKind, parseLayering } from './check-layers.js';

const TABLE = `# Architecture

## Layering

| part | may import | other parts import it through |
|---|---|---|
| \`common\` | — | any file |
| \`mid\` | \`common\` | \`index.ts\` |
| \`top\` | \`common\`, \`mid\` | nothing imports it |

## Next section
`;

/** Writes a tiny tree (ARCHITECTURE.md plus src files) in a temp dir and checks it. */
async function check(files: Record<string, string>, architecture = TABLE): Promise<string[]> {
  const root = await mkdtemp(join(tmpdir(), 'stratus-layers-'));
  try {
    await writeFile(join(root, 'ARCHITECTURE.md'), architecture);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    return checkLayers(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const CLEAN = {
  'src/common/clock.ts': 'export const now = (): number => 0;\n',
  'src/mid/index.ts': "import { now } from '../common/clock.js';\nexport const y = now();\n",
  'src/mid/testing.ts': "export { helper } from './mid-harness.js';\n",
  'src/mid/mid-harness.ts': 'export const helper = 1;\n',
  'src/top/index.ts': "import { y } from '../mid/index.js';\nexport const z = y;\n",
  'src/top/top.test.ts': "import { helper } from '../mid/testing.js';\nimport { z } from './index.js';\n",
};

test('a tree that follows the table passes', async () => {
  assert.deepEqual(await check(CLEAN), []);
});

test('an upward import is reported as a layering break and, with the way down, as a cycle', async () => {
  const problems = await check({
    ...CLEAN,
    'src/mid/uses-top.ts': "import type { z } from '../top/index.js';\nexport type Z = typeof z;\n",
  });
  assert.deepEqual(problems, [
    'src/mid/uses-top.ts imports src/top/index.ts: mid may not import top (ARCHITECTURE.md, Layering)',
    'import cycle between mid, top: src/mid/uses-top.ts → src/top/index.ts; src/top/index.ts → src/mid/index.ts',
  ]);
});

test('a cycle through a dynamic import is found, with a cycle in the table itself', async () => {
  const table = TABLE.replace('| `mid` | `common` |', '| `mid` | `common`, `top` |');
  const problems = await check(
    { ...CLEAN, 'src/mid/lazy.ts': "export const load = () => import('../top/index.js');\n" },
    table,
  );
  assert.deepEqual(problems, [
    'layering table: cycle between mid, top',
    'import cycle between mid, top: src/mid/lazy.ts → src/top/index.ts; src/top/index.ts → src/mid/index.ts',
  ]);
});

test('entries: index.ts for product code, testing.ts for test support, no test support in product', async () => {
  const problems = await check({
    ...CLEAN,
    'src/mid/inner.ts': 'export const inner = 1;\n',
    'src/top/deep.ts':
      "import { inner } from '../mid/inner.js';\nimport { now } from '../common/clock.js';\n",
    'src/top/uses-support.ts': "import { helper } from '../mid/testing.js';\n",
    'src/top/deep.test.ts':
      "import { helper } from '../mid/mid-harness.js';\nimport { inner } from '../mid/inner.js';\n",
    'src/stray/index.ts': 'export {};\n',
  });
  assert.deepEqual(problems.sort(), [
    'src/stray is not in the layering table of ARCHITECTURE.md',
    "src/top/deep.test.ts imports src/mid/mid-harness.ts: another part's test support is imported through its testing.ts",
    'src/top/deep.ts imports src/mid/inner.ts: other parts import mid through its index.ts',
    'src/top/uses-support.ts imports test support src/mid/testing.ts',
  ]);
});

test('imports in comments and strings are not imports', async () => {
  const problems = await check({
    ...CLEAN,
    'src/mid/notes.ts':
      "// import { z } from '../top/index.js';\nexport const s = \"import('../top/index.js')\";\n",
  });
  assert.deepEqual(problems, []);
});

test('test support is told by its name', () => {
  assert.equal(moduleKind('src/a/testing.ts'), 'support');
  assert.equal(moduleKind('src/a/testing/cluster.ts'), 'support');
  assert.equal(moduleKind('src/a/contract/list.ts'), 'support');
  assert.equal(moduleKind('src/a/agent-testing.ts'), 'support');
  assert.equal(moduleKind('src/a/cli-harness.ts'), 'support');
  assert.equal(moduleKind('src/a/test-gateway.ts'), 'support');
  assert.equal(moduleKind('src/a/storage-test-cloud.ts'), 'support');
  assert.equal(moduleKind('src/a/a.test.ts'), 'test');
  assert.equal(moduleKind('src/a/latest-contest.ts'), 'product');
});

test('the table is read from the Layering section, and its absence is an error', () => {
  const rules = parseLayering(TABLE);
  assert.deepEqual([...rules.keys()], ['common', 'mid', 'top']);
  assert.deepEqual([...(rules.get('top')?.mayImport ?? [])], ['common', 'mid']);
  assert.equal(rules.get('common')?.indexOnly, false);
  assert.equal(rules.get('mid')?.indexOnly, true);
  assert.throws(() => parseLayering('# Architecture\n'), /no "## Layering" section/);
});
