// Checks the imports between the parts of src/ against the layering table in ARCHITECTURE.md
// (vscode's code-layering check, for this tree): `node dist/scripts/check-layers.js [root]`
// prints one line per broken rule and exits 1, or prints nothing and exits 0. `make lint` runs it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/** One row of the layering table: the parts a part may import, and how others import it. */
export interface LayerRule {
  mayImport: Set<string>;
  /** True when other parts must import it through an `index.ts`. */
  indexOnly: boolean;
}

type Kind = 'product' | 'test' | 'support';

interface Module {
  /** Path from the root with `/` separators: `src/scheduler/filters.ts`. */
  path: string;
  part: string;
  kind: Kind;
  imports: string[];
}

/**
 * Reads the table under `## Layering` in ARCHITECTURE.md: rows of the form
 * `` | `part` | `a`, `b` | `index.ts` | `` (part, the parts it may import, how others import it).
 */
export function parseLayering(markdown: string): Map<string, LayerRule> {
  const section = /^## Layering\b[^\n]*\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown)?.[1];
  if (section === undefined) throw new Error('ARCHITECTURE.md has no "## Layering" section');
  const rules = new Map<string, LayerRule>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1);
    const part = /^\s*`([a-z0-9-]+)`\s*$/.exec(cells[0] ?? '')?.[1];
    if (part === undefined || cells.length < 3) continue;
    const names = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    rules.set(part, {
      mayImport: new Set(names(cells[1] ?? '')),
      indexOnly: names(cells[2] ?? '').includes('index.ts'),
    });
  }
  if (rules.size === 0) throw new Error('the "## Layering" section of ARCHITECTURE.md has no table rows');
  return rules;
}

const SUPPORT_WORDS = new Set(['test', 'testing', 'harness', 'contract']);

/**
 * Test support by its name, as CONVENTIONS.md spells it: files in `testing/` and `contract/`
 * folders, and files with `test`, `testing`, `harness` or `contract` among the dash-separated
 * words of their name (`testing.ts`, `agent-testing.ts`, `cli-harness.ts`, `store-contract.ts`,
 * `test-gateway.ts`, `storage-test-cloud.ts`); `*.test.ts` files are tests.
 */
export function moduleKind(path: string): Kind {
  const segments = path.split('/');
  const base = segments.at(-1) ?? '';
  if (base.endsWith('.test.ts')) return 'test';
  if (segments.slice(0, -1).some((s) => s === 'testing' || s === 'contract')) return 'support';
  const words = base.replace(/\.ts$/, '').split('-');
  return words.some((w) => SUPPORT_WORDS.has(w)) ? 'support' : 'product';
}

function walk(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function loadModules(root: string): Module[] {
  return walk(join(root, 'src')).map((file) => {
    const path = relative(root, file).split(sep).join('/');
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const imports: string[] = [];
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = relative(root, join(dirname(file), ref.fileName))
        .split(sep)
        .join('/');
      imports.push(target.replace(/\.js$/, '.ts'));
    }
    return { path, part: path.split('/')[1] ?? '', kind: moduleKind(path), imports };
  });
}

const isIndex = (path: string): boolean => path.endsWith('/index.ts');
const isTestingEntry = (path: string): boolean => /\/(testing\.ts|testing\/index\.ts)$/.test(path);

/** Cycles in a directed graph (Tarjan's strongly connected components of two or more nodes). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w === undefined) break;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) out.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/**
 * Checks the tree under `root` (ARCHITECTURE.md and src/) and returns one message per broken
 * rule: a part missing from the table, a cycle in the table or between parts (`import type`
 * included), a product import the table does not allow or that bypasses the other part's
 * `index.ts`, product code importing test support, and a test reaching another part's test
 * support other than through its `testing` entry. Tests and test support may import any part
 * (they compose the whole system), so the layering binds product code only.
 */
export function checkLayers(root: string): string[] {
  const rules = parseLayering(readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8'));
  const problems: string[] = [];
  for (const e of readdirSync(join(root, 'src'), { withFileTypes: true })) {
    if (e.isDirectory() && !rules.has(e.name)) {
      problems.push(`src/${e.name} is not in the layering table of ARCHITECTURE.md`);
    }
  }
  for (const [part, rule] of rules) {
    for (const other of rule.mayImport) {
      if (!rules.has(other)) problems.push(`layering table: ${part} may import "${other}", which has no row`);
    }
  }
  const allowed = new Map([...rules].map(([part, rule]) => [part, rule.mayImport]));
  for (const cycle of cycles(allowed)) problems.push(`layering table: cycle between ${cycle.join(', ')}`);

  const modules = loadModules(root);
  const kinds = new Map(modules.map((m) => [m.path, m.kind]));
  const partGraph = new Map<string, Set<string>>();
  const example = new Map<string, string>();
  for (const m of modules) {
    for (const target of m.imports) {
      const [top, part] = target.split('/');
      if (top !== 'src' || part === undefined || part === m.part) {
        if (m.kind === 'product' && kinds.get(target) !== undefined && kinds.get(target) !== 'product') {
          problems.push(`${m.path} imports test support ${target}`);
        }
        continue;
      }
      const targetKind = kinds.get(target) ?? 'product';
      if (m.kind !== 'product') {
        if (targetKind === 'support' && !isTestingEntry(target)) {
          problems.push(
            `${m.path} imports ${target}: another part's test support is imported through its testing.ts`,
          );
        }
        continue;
      }
      if (!partGraph.has(m.part)) partGraph.set(m.part, new Set());
      partGraph.get(m.part)?.add(part);
      if (!example.has(`${m.part}>${part}`)) example.set(`${m.part}>${part}`, `${m.path} → ${target}`);
      if (targetKind !== 'product') problems.push(`${m.path} imports test support ${target}`);
      else if (!(rules.get(m.part)?.mayImport.has(part) ?? false)) {
        problems.push(
          `${m.path} imports ${target}: ${m.part} may not import ${part} (ARCHITECTURE.md, Layering)`,
        );
      } else if ((rules.get(part)?.indexOnly ?? true) && !isIndex(target)) {
        problems.push(`${m.path} imports ${target}: other parts import ${part} through its index.ts`);
      }
    }
  }
  for (const cycle of cycles(partGraph)) {
    const edges = [...example].filter(([k]) => {
      const [from = '', to = ''] = k.split('>');
      return cycle.includes(from) && cycle.includes(to);
    });
    problems.push(`import cycle between ${cycle.join(', ')}: ${edges.map(([, e]) => e).join('; ')}`);
  }
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = process.argv[2] ?? process.cwd();
  if (!existsSync(join(root, 'src'))) throw new Error(`no src/ under ${root}`);
  const problems = checkLayers(root);
  for (const p of problems) console.error(`check-layers: ${p}`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
