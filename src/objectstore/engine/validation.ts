import { ObjectStoreError } from '../errors.js';

/**
 * S3's bucket naming rules, the one copy of them (the engine and the gateway both check with it):
 * 3–63 characters of lowercase letters, digits, `.` and `-`, starting and ending with a letter or
 * digit, no `..`, `.-` or `-.`, not an IP address, no reserved prefix (`xn--`, `sthree-`) or
 * suffix (`-s3alias`, `--ol-s3`). Returns why a name is invalid, or undefined when it is fine.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'bucket names must be 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'bucket names may contain only lowercase letters, digits, dots and hyphens, and must begin and end with a letter or digit';
  }
  if (name.includes('..') || name.includes('.-') || name.includes('-.'))
    return 'bucket names must not contain "..", ".-" or "-."';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'bucket names must not be formatted as an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-'))
    return 'bucket names must not start with "xn--" or "sthree-"';
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3'))
    return 'bucket names must not end with "-s3alias" or "--ol-s3"';
  return undefined;
}

/** Throws InvalidBucketName (naming the bucket) when `name` breaks S3's bucket naming rules. */
export function validateBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== undefined)
    throw new ObjectStoreError(
      'InvalidBucketName',
      `Cannot create bucket ${JSON.stringify(name)}: ${problem}`,
      {
        bucket: name,
        BucketName: name,
      },
    );
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
