import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTar, type TarMember } from './tar-reader.js';

async function members(file: string): Promise<{ list: TarMember[]; data: Map<string, string> }> {
  const list: TarMember[] = [];
  const data = new Map<string, string>();
  await readTar(file, {
    open(m) {
      list.push(m);
      const parts: Buffer[] = [];
      return Promise.resolve({
        write: (chunk: Buffer) => Promise.resolve(void parts.push(Buffer.from(chunk))),
        end: () => Promise.resolve(void data.set(m.name, Buffer.concat(parts).toString())),
      });
    },
    entry: (m) => Promise.resolve(void list.push(m)),
  });
  return { list, data };
}

test('readTar reads GNU, pax and gzip archives in one pass, long names and symlinks included', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'stratus-tar-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const src = join(work, 'src');
  const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
  await mkdir(join(src, 'd'.repeat(120)), { recursive: true });
  await writeFile(join(src, long), 'long');
  await writeFile(join(src, 'big'), Buffer.alloc(5 << 20, 7));
  await writeFile(join(src, 'empty'), '');
  await symlink('big', join(src, 'link'));
  for (const [format, extra] of [
    ['gnu', []],
    ['posix', []],
    ['posix', ['-z']],
  ] as const) {
    const file = join(work, `${format}${extra.length}.tar`);
    execFileSync('tar', ['-c', ...extra, `--format=${format}`, '-f', file, '-C', src, '.']);
    const { list, data } = await members(file);
    assert.equal(data.get(long), 'long', format);
    assert.equal(data.get('big')?.length, 5 << 20);
    assert.equal(data.get('empty'), '');
    assert.deepEqual(
      list.find((m) => m.name === 'link'),
      { name: 'link', type: 'symlink', size: 0, linkName: 'big' },
    );
  }
  const evil = join(work, 'evil.tar');
  execFileSync('tar', ['-c', '-f', evil, '-P', '--transform=s,^,../,', '-C', src, 'empty']);
  await assert.rejects(members(evil), { code: 'IMAGE_ARCHIVE_INVALID', message: /escapes the archive/ });
});
