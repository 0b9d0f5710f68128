import { ObjectStoreError } from '../errors.js';

/** S3 bucket naming rules (InvalidBucketName). */
export function validateBucketName(name: string): void {
  const bad = (why: string): never => {
    throw new ObjectStoreError('InvalidBucketName', `Cannot create bucket "${name}": ${why}`, {
      bucket: name,
    });
  };
  if (name.length < 3 || name.length > 63) bad('bucket names must be 3 to 63 characters long');
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name))
    bad(
      'bucket names use lowercase letters, digits, dots and hyphens, and start and end with a letter or digit',
    );
  if (name.includes('..') || name.includes('.-') || name.includes('-.'))
    bad('bucket names must not have adjacent dots or dots next to hyphens');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) bad('bucket names must not look like an IP address');
}

/** Keys are 1 to 1,024 bytes of UTF-8 (KeyTooLongError, InvalidArgument). */
export function validateKey(key: string): void {
  if (key.length === 0) throw new ObjectStoreError('InvalidArgument', 'Object keys must not be empty');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > 1024)
    throw new ObjectStoreError('KeyTooLongError', `The key is ${bytes} bytes long; the limit is 1024`);
}

/** True when an If-Match style header (a list, '*', quoted or not) matches an ETag. */
export function etagMatches(header: string, etag: string): boolean {
  const bare = etag.replace(/"/g, '');
  return header.split(',').some((h) => {
    const t = h.trim().replace(/^W\//, '').replace(/"/g, '');
    return t === '*' || t === bare;
  });
}
