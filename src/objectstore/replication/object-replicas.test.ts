import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { decodeFooter, encodeFooter, footerLength } from '../device/data-file.js';
import { dataFiles, readAll, rejectsWith, withStore } from '../engine/test-helpers.js';

const MiB = 1024 * 1024;

/** A body streamed in socket-sized pieces, optionally failing after `failAfter` bytes. */
function pieces(data: Buffer, failAfter?: number): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for (let off = 0; off < data.length; off += 65_536) {
      await Promise.resolve();
      if (failAfter !== undefined && off >= failAfter) throw new Error('connection reset');
      yield data.subarray(off, off + 65_536);
    }
  }
  return Readable.from(gen());
}

async function leftovers(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    out.push(...(await dataFiles(p)));
    out.push(...(await readdir(join(p, 'tmp')).catch(() => [])).map((f) => join(p, 'tmp', f)));
  }
  return out;
}

/** Rewrites a data file's footer through `edit`, keeping its body. */
async function editFooter(
  file: string,
  edit: (f: NonNullable<ReturnType<typeof decodeFooter>>) => void,
): Promise<void> {
  const bytes = await readFile(file);
  const len = footerLength(bytes.subarray(bytes.length - 8))!;
  const footer = decodeFooter(bytes.subarray(bytes.length - len, bytes.length - 8))!;
  edit(footer);
  await writeFile(file, Buffer.concat([bytes.subarray(0, bytes.length - len), encodeFooter(footer)]));
}

test('a large body streamed in pieces lands byte for byte on all three replicas, each footer with its MD5 and CRC-32', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('big', 'o');
    const data = randomBytes(20 * MiB + 123);
    const info = await s.putObject('big', 'k', pieces(data), { size: data.length });
    const md5 = createHash('md5').update(data).digest('hex');
    assert.equal(info.etag, `"${md5}"`);
    for (const p of paths) {
      const [file] = await dataFiles(p);
      const bytes = await readFile(file!);
      assert.ok(bytes.subarray(0, data.length).equals(data), p);
      const footer = decodeFooter(bytes.subarray(data.length, bytes.length - 8))!;
      assert.equal(footer.md5, md5);
      assert.match(footer.crc32 ?? '', /^[0-9a-f]{8}$/);
    }
    assert.ok((await readAll((await s.getObject('big', 'k')).body)).equals(data));
  });
});

test('a body that fails mid-stream leaves no object, no data file and no temp file on any device', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('cut', 'o');
    const data = randomBytes(12 * MiB);
    await rejectsWith(
      s.putObject('cut', 'k', pieces(data, 5 * MiB), { size: data.length }),
      'IncompleteBody',
    );
    await rejectsWith(s.headObject('cut', 'k'), 'NoSuchKey');
    assert.deepEqual(await leftovers(paths), []);
  });
});

test('a wrong Content-MD5 or a short body on a large PUT is refused and leaves nothing behind', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('digest', 'o');
    const data = randomBytes(6 * MiB);
    const wrong = createHash('md5').update('something else').digest('base64');
    await rejectsWith(
      s.putObject('digest', 'k', pieces(data), { size: data.length, contentMd5: wrong }),
      'BadDigest',
    );
    await rejectsWith(s.putObject('digest', 'k', pieces(data), { size: data.length + 1 }), 'IncompleteBody');
    assert.deepEqual(await leftovers(paths), []);
    const right = createHash('md5').update(data).digest('base64');
    await s.putObject('digest', 'k', pieces(data), { size: data.length, contentMd5: right });
    assert.ok((await readAll((await s.getObject('digest', 'k')).body)).equals(data));
  });
});

test('reads verify by CRC-32 (or by MD5 for a footer without one) and fall back from a corrupt copy', async () => {
  await withStore(3, async (s, { paths }) => {
    await s.createBucket('rot', 'o');
    const data = randomBytes(2 * MiB);
    await s.putObject('rot', 'k', pieces(data), { size: data.length });
    const files = await Promise.all(paths.map(async (p) => (await dataFiles(p))[0]!));
    // Copy 0 rots; copy 1 is an older file without a CRC (verified by MD5) that also rots;
    // copy 2 is an older file without a CRC that is intact.
    for (const [i, file] of files.entries()) {
      if (i > 0) await editFooter(file, (f) => delete f.crc32);
      if (i < 2) {
        const bytes = await readFile(file);
        bytes[1234] = bytes[1234]! ^ 0x01;
        await writeFile(file, bytes);
      }
    }
    for (let round = 0; round < 3; round++) {
      assert.ok((await readAll((await s.getObject('rot', 'k')).body)).equals(data), `round ${round}`);
    }
    // Once the intact copy rots too, no copy verifies: the read fails and all three are quarantined,
    // whichever order the replicas were tried in.
    const last = await readFile(files[2]!);
    last[99] = last[99]! ^ 0x80;
    await writeFile(files[2]!, last);
    await rejectsWith(s.getObject('rot', 'k'), 'InternalError');
    const quarantined = await Promise.all(
      paths.map((p) => readdir(join(p, 'quarantined', 'objects')).catch(() => [])),
    );
    assert.deepEqual(
      quarantined.map((q) => q.length),
      [1, 1, 1],
    );
  });
});
