import { StratusError } from '../common/stratus-error.js';

/** The S3 error codes the engine raises, with the HTTP status S3 answers them with. */
export const OBJECT_STORE_ERRORS = {
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  BucketNotEmpty: 409,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  InvalidBucketName: 400,
  PreconditionFailed: 412,
  BadDigest: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InvalidRange: 416,
  KeyTooLongError: 400,
  InvalidArgument: 400,
  MethodNotAllowed: 405,
  XAmzContentChecksumMismatch: 400,
  InternalError: 500,
  SlowDown: 503,
  ServiceUnavailable: 503,
} as const;

/** One of the S3 error codes in OBJECT_STORE_ERRORS. */
export type ObjectStoreErrorCode = keyof typeof OBJECT_STORE_ERRORS;

/**
 * A user-facing object store error. `code` is the S3 error code (so the gateway writes it into
 * the XML error unchanged) and `status` the HTTP status S3 uses for it; `details` carries what
 * the gateway may echo back (bucket, key, versionId, isDeleteMarker).
 */
export class ObjectStoreError extends StratusError {
  declare readonly code: ObjectStoreErrorCode;
  constructor(code: ObjectStoreErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, OBJECT_STORE_ERRORS[code], message, details);
    this.name = 'ObjectStoreError';
  }
}

/** True when `err` is an ObjectStoreError with the given S3 code. */
export function isObjectStoreError(err: unknown, code?: ObjectStoreErrorCode): err is ObjectStoreError {
  return err instanceof ObjectStoreError && (code === undefined || err.code === code);
}

/** A device folder another process (or another store in this one) has open: one owner per device. */
export function deviceInUse(path: string): StratusError {
  return new StratusError(
    'DEVICE_IN_USE',
    409,
    `storage device ${path} is in use by another process: a device has one owner at a time`,
    { path },
  );
}
