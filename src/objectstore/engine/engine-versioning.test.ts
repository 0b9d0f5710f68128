import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { body, dataFiles, readAll, rejectsWith, withStore } from './test-helpers.js';

const MiB = 1024 * 1024;

test('versioning: Enabled keeps versions, delete markers, null version, Suspended', async () => {
  await withStore(1, async (s) => {
    await s.createBucket('vers', 'o');
    const v0 = await s.putObject('vers', 'k', body('before'), {});
    assert.equal(v0.versionId, 'null');
    await s.setVersioning('vers', 'Enabled');
    assert.equal((await s.getBucket('vers'))?.versioning, 'Enabled');
    const v1 = await s.putObject('vers', 'k', body('one'), {});
    const v2 = await s.putObject('vers', 'k', body('two'), {});
    assert.notEqual(v1.versionId, 'null');
    assert.notEqual(v1.versionId, v2.versionId);
    assert.equal((await readAll((await s.getObject('vers', 'k')).body)).toString(), 'two');
    assert.equal(
      (await readAll((await s.getObject('vers', 'k', { versionId: v1.versionId })).body)).toString(),
      'one',
    );
    assert.equal(
      (await readAll((await s.getObject('vers', 'k', { versionId: 'null' })).body)).toString(),
      'before',
    );
    const del = await s.deleteObject('vers', 'k');
    assert.equal(del.deleteMarker, true);
    await rejectsWith(s.getObject('vers', 'k'), 'NoSuchKey');
    await rejectsWith(s.headObject('vers', 'k', { versionId: del.versionId! }), 'MethodNotAllowed');
    await rejectsWith(s.getObject('vers', 'k', { versionId: 'nope' }), 'NoSuchVersion');
    assert.equal((await s.listObjects('vers', {})).objects.length, 0);
    const versions = await s.listObjectVersions('vers', {});
    assert.deepEqual(
      versions.versions.map((v) => [v.versionId, v.isLatest, v.isDeleteMarker ?? false]),
      [
        [del.versionId, true, true],
        [v2.versionId, false, false],
        [v1.versionId, false, false],
        ['null', false, false],
      ],
    );
    // Paging through versions with markers returns each once.
    const p1 = await s.listObjectVersions('vers', { maxKeys: 2 });
    const p2 = await s.listObjectVersions('vers', {
      maxKeys: 2,
      keyMarker: p1.nextKeyMarker!,
      versionIdMarker: p1.nextVersionIdMarker!,
    });
    assert.equal(p1.isTruncated, true);
    assert.deepEqual(
      [...p1.versions, ...p2.versions].map((v) => v.versionId),
      versions.versions.map((v) => v.versionId),
    );
    // Deleting the delete marker brings the object back.
    await s.deleteObject('vers', 'k', { versionId: del.versionId! });
    assert.equal((await readAll((await s.getObject('vers', 'k')).body)).toString(), 'two');
    // Deleting a version permanently removes it.
    await s.deleteObject('vers', 'k', { versionId: v2.versionId });
    assert.equal((await readAll((await s.getObject('vers', 'k')).body)).toString(), 'one');
    // Suspended: writes replace the null version.
    await s.setVersioning('vers', 'Suspended');
    const n = await s.putObject('vers', 'k', body('suspended'), {});
    assert.equal(n.versionId, 'null');
    const all = await s.listObjectVersions('vers', {});
    assert.deepEqual(
      all.versions.map((v) => v.versionId),
      ['null', v1.versionId],
    );
    assert.equal(
      (await readAll((await s.getObject('vers', 'k', { versionId: 'null' })).body)).toString(),
      'suspended',
    );
    await rejectsWith(s.deleteBucket('vers'), 'BucketNotEmpty');
  });
});

test('tagging and copy (COPY and REPLACE metadata)', async () => {
  await withStore(1, async (s) => {
    await s.createBucket('tags', 'o');
    await s.putObject('tags', 'src', body('payload'), {
      metadata: { a: '1' },
      headers: { contentType: 'text/x' },
      tags: { t: 'v' },
    });
    assert.deepEqual(await s.getTagging('tags', 'src'), { t: 'v' });
    await s.putTagging('tags', 'src', { env: 'prod', team: 'x' });
    assert.deepEqual(await s.getTagging('tags', 'src'), { env: 'prod', team: 'x' });
    assert.equal((await s.headObject('tags', 'src')).tagCount, 2);
    const copied = await s.copyObject({ bucket: 'tags', key: 'src' }, { bucket: 'tags', key: 'dst' }, {});
    assert.equal(copied.etag, (await s.headObject('tags', 'src')).etag);
    const dst = await s.getObject('tags', 'dst');
    assert.equal((await readAll(dst.body)).toString(), 'payload');
    assert.deepEqual(dst.info.metadata, { a: '1' });
    assert.equal(dst.info.headers.contentType, 'text/x');
    await s.copyObject(
      { bucket: 'tags', key: 'src' },
      { bucket: 'tags', key: 'dst2' },
      { metadata: { b: '2' } },
    );
    assert.deepEqual((await s.headObject('tags', 'dst2')).metadata, { b: '2' });
    await rejectsWith(
      s.copyObject({ bucket: 'tags', key: 'src' }, { bucket: 'tags', key: 'd3' }, { ifMatch: '"nope"' }),
      'PreconditionFailed',
    );
  });
});

test('multipart: parts, list, complete with manifest ETag, ranges across parts, abort, errors', async () => {
  await withStore(3, async (s) => {
    await s.createBucket('mpu', 'o');
    const { uploadId } = await s.createMultipartUpload('mpu', 'big', { metadata: { m: 'x' } });
    const p1 = Buffer.alloc(5 * MiB, 'a');
    const p2 = Buffer.alloc(5 * MiB, 'b');
    const p3 = Buffer.from('tail');
    const e1 = await s.uploadPart('mpu', 'big', uploadId, 1, body(p1), {});
    const e2 = await s.uploadPart('mpu', 'big', uploadId, 2, body(p2), {});
    const e3 = await s.uploadPart('mpu', 'big', uploadId, 3, body(p3), {});
    const listed = await s.listParts('mpu', 'big', uploadId, { maxParts: 2 });
    assert.deepEqual(
      listed.parts.map((p) => p.partNumber),
      [1, 2],
    );
    assert.equal(listed.isTruncated, true);
    assert.equal(listed.nextPartNumberMarker, 2);
    const uploads = await s.listMultipartUploads('mpu', {});
    assert.deepEqual(
      uploads.uploads.map((u) => u.uploadId),
      [uploadId],
    );
    await rejectsWith(
      s.completeMultipartUpload('mpu', 'big', uploadId, [
        { partNumber: 2, etag: e2.etag },
        { partNumber: 1, etag: e1.etag },
      ]),
      'InvalidPartOrder',
    );
    await rejectsWith(
      s.completeMultipartUpload('mpu', 'big', uploadId, [{ partNumber: 1, etag: '"0000"' }]),
      'InvalidPart',
    );
    await rejectsWith(
      s.completeMultipartUpload('mpu', 'big', uploadId, [
        { partNumber: 3, etag: e3.etag },
        { partNumber: 4, etag: e3.etag },
      ]),
      'InvalidPart',
    );
    const small = await s.createMultipartUpload('mpu', 'small', {});
    const s1 = await s.uploadPart('mpu', 'small', small.uploadId, 1, body('x'), {});
    const s2 = await s.uploadPart('mpu', 'small', small.uploadId, 2, body('y'), {});
    await rejectsWith(
      s.completeMultipartUpload('mpu', 'small', small.uploadId, [
        { partNumber: 1, etag: s1.etag },
        { partNumber: 2, etag: s2.etag },
      ]),
      'EntityTooSmall',
    );
    await s.abortMultipartUpload('mpu', 'small', small.uploadId);
    await rejectsWith(s.listParts('mpu', 'small', small.uploadId, {}), 'NoSuchUpload');
    const done = await s.completeMultipartUpload('mpu', 'big', uploadId, [
      { partNumber: 1, etag: e1.etag },
      { partNumber: 2, etag: e2.etag },
      { partNumber: 3, etag: e3.etag },
    ]);
    const md5s = [p1, p2, p3].map((p) => createHash('md5').update(p).digest());
    assert.equal(done.etag, `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-3"`);
    assert.equal(done.size, p1.length + p2.length + p3.length);
    assert.equal(done.partsCount, 3);
    const whole = await readAll((await s.getObject('mpu', 'big')).body);
    assert.ok(whole.equals(Buffer.concat([p1, p2, p3])));
    const range = await readAll(
      (await s.getObject('mpu', 'big', { range: { start: 5 * MiB - 2, end: 5 * MiB + 1 } })).body,
    );
    assert.equal(range.toString(), 'aabb');
    const tail = await readAll((await s.getObject('mpu', 'big', { range: { suffix: 6 } })).body);
    assert.equal(tail.toString(), 'bbtail');
    assert.deepEqual((await s.headObject('mpu', 'big')).metadata, { m: 'x' });
    assert.equal((await s.listMultipartUploads('mpu', {})).uploads.length, 0);
    await rejectsWith(s.listParts('mpu', 'big', uploadId, {}), 'NoSuchUpload');
    await s.deleteObject('mpu', 'big');
    await rejectsWith(s.getObject('mpu', 'big'), 'NoSuchKey');
    await s.deleteBucket('mpu');
  });
});

test('replacing the null version drops the data it replaced (plain file, manifest parts, delete marker)', async () => {
  await withStore(1, async (s, { paths }) => {
    await s.createBucket('gcb', 'o');
    const files = async (): Promise<number> => (await dataFiles(paths[0]!)).length;
    await s.putObject('gcb', 'k', body('plain'), {});
    await s.putObject('gcb', 'k', body('plain again'), {});
    assert.equal(await files(), 1);
    const { uploadId } = await s.createMultipartUpload('gcb', 'k', {});
    const p1 = await s.uploadPart('gcb', 'k', uploadId, 1, body('part one'), {});
    await s.completeMultipartUpload('gcb', 'k', uploadId, [{ partNumber: 1, etag: p1.etag }]);
    assert.equal(await files(), 1, 'the plain file went, the part stayed');
    assert.equal((await readAll((await s.getObject('gcb', 'k')).body)).toString(), 'part one');
    await s.putObject('gcb', 'k', body('plain at last'), {});
    assert.equal(await files(), 1, 'the part went');
    await s.setVersioning('gcb', 'Suspended');
    await s.deleteObject('gcb', 'k');
    assert.equal(await files(), 0, 'a null delete marker drops the null version');
  });
});
