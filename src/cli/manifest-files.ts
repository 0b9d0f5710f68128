import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ManifestError } from './errors.js';
import { parseManifests, type Manifest } from './manifests.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Reads the manifests named by `-f` arguments, in order: a file, a folder (its .yaml, .yml and
 * .json files, sorted by name, not recursive, as kubectl does without -R), or `-` for stdin.
 */
export async function readManifests(paths: readonly string[], stdin: Readable): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const path of paths) {
    if (path === '-') {
      out.push(...parseManifests(await readAll(stdin), '-'));
      continue;
    }
    let isDir: boolean;
    try {
      isDir = (await stat(path)).isDirectory();
    } catch {
      throw new ManifestError(`the path "${path}" does not exist`, path);
    }
    const files = isDir
      ? (await readdir(path))
          .filter((f) => MANIFEST_EXTENSIONS.has(extname(f).toLowerCase()))
          .sort()
          .map((f) => join(path, f))
      : [path];
    for (const file of files) out.push(...parseManifests(await readFile(file, 'utf8'), file));
  }
  return out;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
