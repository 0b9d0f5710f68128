import { createHash } from 'node:crypto';
import { type Handler, header, requireBucket, requireKey, validateTags, xmlReply } from './context.js';
import { ObjectStoreError } from '../errors.js';
import type { S3Operation } from './routes.js';
import { child, children, childText, parseXml, xmlDocument, type XmlNode } from './xml.js';
import { contentMd5 } from './object-handlers.js';
import { CHECKSUM_ALGORITHMS, checksumHeader } from './checksums.js';

function versionOf(query: ReadonlyMap<string, string>): string | undefined {
  const v = query.get('versionId');
  return v === undefined || v === '' ? undefined : v;
}

const getObjectTagging: Handler = async (ctx) => {
  const tags = await ctx.store.getTagging(requireBucket(ctx), requireKey(ctx), versionOf(ctx.query));
  return xmlReply(
    xmlDocument('Tagging', [
      [
        'TagSet',
        Object.entries(tags).map(([k, v]): XmlNode => [
          'Tag',
          [
            ['Key', k],
            ['Value', v],
          ],
        ]),
      ],
    ]),
  );
};

/** Parses and checks a `<Tagging><TagSet><Tag><Key/><Value/></Tag>…` document (PutObjectTagging, POST's `tagging` field). */
export function parseTagging(xml: string): Record<string, string> {
  const root = parseXml(xml);
  const set = child(root, 'TagSet');
  if (root.name !== 'Tagging' || set === undefined)
    throw new ObjectStoreError('MalformedXML', 'The body must be <Tagging><TagSet>…</TagSet></Tagging>');
  const tags: Record<string, string> = {};
  for (const t of children(set, 'Tag')) {
    const k = childText(t, 'Key');
    const v = childText(t, 'Value') ?? '';
    if (k === undefined) throw new ObjectStoreError('MalformedXML', 'Every Tag needs a Key');
    if (k in tags)
      throw new ObjectStoreError('InvalidTag', `Cannot provide multiple Tags with the same key: ${k}`);
    tags[k] = v;
  }
  validateTags(tags);
  return tags;
}

const putObjectTagging: Handler = async (ctx) => {
  const tags = parseTagging((await ctx.readBody(64 * 1024)).toString('utf8'));
  await ctx.store.putTagging(requireBucket(ctx), requireKey(ctx), tags, versionOf(ctx.query));
  return { status: 200 };
};

const deleteObjectTagging: Handler = async (ctx) => {
  await ctx.store.putTagging(requireBucket(ctx), requireKey(ctx), {}, versionOf(ctx.query));
  return { status: 204 };
};

/**
 * Checks that a body carries an integrity header, as S3 requires of DeleteObjects and
 * PutBucketLifecycleConfiguration, and verifies Content-MD5.
 */
export function requireIntegrity(headers: Parameters<typeof header>[0], body: Buffer): void {
  const md5 = contentMd5(headers);
  if (md5 !== undefined) {
    if (createHash('md5').update(body).digest('base64') !== md5)
      throw new ObjectStoreError(
        'BadDigest',
        'The Content-MD5 you specified did not match what we received.',
      );
    return;
  }
  const trailer = header(headers, 'x-amz-trailer');
  const hasChecksum =
    CHECKSUM_ALGORITHMS.some((a) => header(headers, checksumHeader(a)) !== undefined) ||
    (trailer?.startsWith('x-amz-checksum-') ?? false);
  if (!hasChecksum)
    throw new ObjectStoreError('InvalidRequest', 'Missing required header for this request: Content-MD5');
}

const deleteObjects: Handler = async (ctx) => {
  const bucket = requireBucket(ctx);
  const body = await ctx.readBody(4 * 1024 * 1024);
  requireIntegrity(ctx, body);
  const root = parseXml(body.toString('utf8'));
  if (root.name !== 'Delete') throw new ObjectStoreError('MalformedXML', 'The root element must be Delete');
  const quiet = childText(root, 'Quiet')?.trim() === 'true';
  const objects = children(root, 'Object');
  if (objects.length === 0 || objects.length > 1000)
    throw new ObjectStoreError(
      'MalformedXML',
      `A Delete request needs 1 to 1000 Objects, not ${objects.length}`,
    );
  const results: XmlNode[] = new Array<XmlNode>(objects.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < objects.length) {
      const i = next++;
      const o = objects[i];
      if (o === undefined) continue;
      const key = childText(o, 'Key') ?? '';
      const versionId = childText(o, 'VersionId');
      try {
        if (key === '') throw new ObjectStoreError('InvalidArgument', 'An Object has an empty Key');
        if (Buffer.byteLength(key) > 1024)
          throw new ObjectStoreError('KeyTooLongError', 'Your key is too long');
        const r = await ctx.store
          .deleteObject(bucket, key, versionId === undefined ? {} : { versionId })
          .catch((err: unknown) => {
            if (
              err instanceof Error &&
              'code' in err &&
              (err.code === 'NoSuchKey' || err.code === 'NoSuchVersion')
            )
              return { deleteMarker: false };
            throw err;
          });
        const markerVersion = r.deleteMarker && 'versionId' in r ? r.versionId : undefined;
        results[i] = [
          'Deleted',
          [
            ['Key', key],
            ['VersionId', versionId],
            ['DeleteMarker', r.deleteMarker ? true : undefined],
            ['DeleteMarkerVersionId', markerVersion],
          ],
        ];
      } catch (err) {
        const code =
          err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : 'InternalError';
        const message =
          err instanceof ObjectStoreError || (err instanceof Error && 'status' in err)
            ? (err as Error).message
            : 'We encountered an internal error. Please try again.';
        results[i] = [
          'Error',
          [
            ['Key', key],
            ['VersionId', versionId],
            ['Code', code],
            ['Message', message],
          ],
        ];
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, objects.length) }, worker));
  return xmlReply(
    xmlDocument(
      'DeleteResult',
      results.filter((r) => !quiet || r[0] === 'Error'),
    ),
  );
};

/** Object tagging and DeleteObjects. */
export const taggingHandlers: Partial<Record<S3Operation, Handler>> = {
  GetObjectTagging: getObjectTagging,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  DeleteObjects: deleteObjects,
};
