import { PatchError } from './errors.js';
import { deepClone, deepEqual, isObject, type JsonObject } from './json.js';

/**
 * Applies an RFC 6902 JSON patch (`add`, `remove`, `replace`, `move`, `copy`, `test`) to a copy
 * of `target` and returns the result; `target` is never changed. The patch applies as a whole or
 * not at all. A malformed patch (not an array, an unknown op, a bad pointer) throws
 * `PatchError` `PATCH_INVALID` 400; a path that does not exist throws `PATCH_INVALID` 422; a
 * failed `test` throws `PATCH_TEST_FAILED` 422 — the statuses kube-apiserver answers with.
 */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw new PatchError(
      'PATCH_INVALID',
      400,
      'Invalid JSON patch: the patch must be a JSON array of operations',
    );
  }
  const parsed = ops.map((op: unknown, i) => parseOperation(op, i));
  const doc: { root: unknown } = { root: deepClone(target) };
  parsed.forEach((op, i) => applyOperation(doc, op, i));
  return doc.root;
}

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string[];
  rawPath: string;
  from: string[];
  rawFrom: string;
  value: unknown;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function parseOperation(raw: unknown, index: number): Operation {
  const bad = (why: string): PatchError =>
    new PatchError('PATCH_INVALID', 400, `Invalid JSON patch operation ${index}: ${why}`);
  if (!isObject(raw)) throw bad('each operation must be a JSON object');
  const { op, path, from } = raw;
  if (typeof op !== 'string' || !OPS.has(op)) throw bad(`unknown "op" ${JSON.stringify(op ?? null)}`);
  if (typeof path !== 'string') throw bad(`"path" must be a string, got ${JSON.stringify(path ?? null)}`);
  const operation: Operation = {
    op: op as Operation['op'],
    path: parsePointer(path, bad),
    rawPath: path,
    from: [],
    rawFrom: '',
    value: undefined,
  };
  if (op === 'move' || op === 'copy') {
    if (typeof from !== 'string') throw bad(`"${op}" needs a string "from"`);
    operation.from = parsePointer(from, bad);
    operation.rawFrom = from;
  }
  if (op === 'add' || op === 'replace' || op === 'test') {
    if (!Object.hasOwn(raw, 'value')) throw bad(`"${op}" needs a "value"`);
    operation.value = raw.value;
  }
  return operation;
}

/** Splits an RFC 6901 pointer into unescaped tokens (`~1` is `/`, `~0` is `~`). */
function parsePointer(pointer: string, bad: (why: string) => PatchError): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw bad(`path ${JSON.stringify(pointer)} must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) throw bad(`path ${JSON.stringify(pointer)} has a bad "~" escape`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function missing(path: string, why: string): PatchError {
  return new PatchError('PATCH_INVALID', 422, `JSON patch path ${JSON.stringify(path)} ${why}`);
}

/** Resolves `tokens` to a value in `root`, or throws 422 naming `raw`. */
function get(root: unknown, tokens: string[], raw: string): unknown {
  let node = root;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      const i = arrayIndex(token, node.length - 1, raw);
      node = node[i];
    } else if (isObject(node) && Object.hasOwn(node, token)) {
      node = node[token];
    } else {
      throw missing(raw, 'does not exist');
    }
  }
  return node;
}

/** Parses an array index token; `max` is the largest index allowed. */
function arrayIndex(token: string, max: number, raw: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw missing(raw, `has an invalid array index "${token}"`);
  const i = Number(token);
  if (i > max) throw missing(raw, `has array index ${i} out of bounds`);
  return i;
}

function parentOf(doc: { root: unknown }, tokens: string[], raw: string): unknown {
  const parent = get(doc.root, tokens.slice(0, -1), raw);
  if (!Array.isArray(parent) && !isObject(parent)) throw missing(raw, 'has a parent that is not a container');
  return parent;
}

function add(doc: { root: unknown }, tokens: string[], raw: string, value: unknown): void {
  const last = tokens.at(-1);
  if (last === undefined) {
    doc.root = value;
    return;
  }
  const parent = parentOf(doc, tokens, raw);
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : arrayIndex(last, parent.length, raw);
    parent.splice(i, 0, value);
  } else {
    (parent as JsonObject)[last] = value;
  }
}

function remove(doc: { root: unknown }, tokens: string[], raw: string): unknown {
  const last = tokens.at(-1);
  if (last === undefined) {
    const old = doc.root;
    doc.root = null;
    return old;
  }
  const parent = parentOf(doc, tokens, raw);
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent.length - 1, raw);
    return parent.splice(i, 1)[0];
  }
  const obj = parent as JsonObject;
  if (!Object.hasOwn(obj, last)) throw missing(raw, 'does not exist');
  const old = obj[last];
  delete obj[last];
  return old;
}

function applyOperation(doc: { root: unknown }, op: Operation, index: number): void {
  switch (op.op) {
    case 'add':
      add(doc, op.path, op.rawPath, deepClone(op.value));
      return;
    case 'remove':
      remove(doc, op.path, op.rawPath);
      return;
    case 'replace':
      get(doc.root, op.path, op.rawPath);
      if (op.path.length === 0) doc.root = deepClone(op.value);
      else {
        remove(doc, op.path, op.rawPath);
        add(doc, op.path, op.rawPath, deepClone(op.value));
      }
      return;
    case 'move': {
      if (op.rawPath.startsWith(`${op.rawFrom}/`)) {
        throw new PatchError(
          'PATCH_INVALID',
          422,
          `JSON patch operation ${index}: cannot move ${JSON.stringify(op.rawFrom)} into its own child ${JSON.stringify(op.rawPath)}`,
        );
      }
      if (op.rawPath === op.rawFrom) {
        get(doc.root, op.from, op.rawFrom);
        return;
      }
      const value = remove(doc, op.from, op.rawFrom);
      add(doc, op.path, op.rawPath, value);
      return;
    }
    case 'copy':
      add(doc, op.path, op.rawPath, deepClone(get(doc.root, op.from, op.rawFrom)));
      return;
    case 'test': {
      const actual = get(doc.root, op.path, op.rawPath);
      if (!deepEqual(actual, op.value)) {
        throw new PatchError(
          'PATCH_TEST_FAILED',
          422,
          `JSON patch test operation ${index} failed: ${op.rawPath} is ${JSON.stringify(actual)}, not ${JSON.stringify(op.value)}`,
        );
      }
      return;
    }
  }
}
