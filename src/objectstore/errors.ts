import { StratusError } from '../common/stratus-error.js';

/**
 * Every S3 error code the object store answers with (the engine's and the gateway's: auth,
 * parsing, routing), with the HTTP status S3 uses for it. The one table: the gateway writes
 * `code` into the XML error unchanged, since clients switch on it.
 */
export const OBJECT_STORE_ERRORS = {
  AccessDenied: 403,
  AccessForbidden: 403,
  AccessControlListNotSupported: 400,
  InvalidBucketAclWithObjectOwnership: 400,
  MalformedACLError: 400,
  MalformedPolicy: 400,
  NoSuchBucketPolicy: 404,
  NoSuchPublicAccessBlockConfiguration: 404,
  OwnershipControlsNotFoundError: 404,
  UnresolvableGrantByEmailAddress: 400,
  UnexpectedContent: 400,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  IllegalLocationConstraintException: 400,
  IncorrectNumberOfFilesInPostRequest: 400,
  InvalidPolicyDocument: 400,
  MalformedPOSTRequest: 400,
  MaxPostPreDataLengthExceeded: 400,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  ExpiredToken: 400,
  IncompleteBody: 400,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidTag: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MaxMessageLengthExceeded: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  MissingSecurityHeader: 400,
  NoSuchBucket: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchLifecycleConfiguration: 404,
  NoSuchKey: 404,
  NoSuchTagSet: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  NotImplemented: 501,
  NotModified: 304,
  PreconditionFailed: 412,
  QuotaExceeded: 403,
  RequestTimeTooSkewed: 403,
  SignatureDoesNotMatch: 403,
  TooManyBuckets: 400,
  XAmzContentChecksumMismatch: 400,
  XAmzContentSHA256Mismatch: 400,
  InternalError: 500,
  SlowDown: 503,
  ServiceUnavailable: 503,
} as const;

/** One of the S3 error codes in OBJECT_STORE_ERRORS. */
export type ObjectStoreErrorCode = keyof typeof OBJECT_STORE_ERRORS;

/**
 * A user-facing object store error, from the engine or the gateway. `code` is the S3 error code
 * (used verbatim, unlike the SCREAMING_CASE codes of other parts, because clients switch on it)
 * and `status` the HTTP status S3 uses for it; `details` carries what the gateway may echo back
 * as extra XML elements (`Key`, `BucketName`, `RequestTime`) or uses itself (bucket, key,
 * versionId, isDeleteMarker).
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
