import { StratusError } from '../../common/stratus-error.js';

/** The S3 error codes the gateway itself raises (auth, parsing, routing), with their HTTP status. */
export const S3_GATEWAY_ERRORS = {
  AccessDenied: 403,
  AccessForbidden: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  ExpiredToken: 400,
  IncompleteBody: 400,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
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
  NoSuchKey: 404,
  NoSuchTagSet: 404,
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
} as const;

/** One of the S3 error codes in S3_GATEWAY_ERRORS. */
export type S3ErrorCode = keyof typeof S3_GATEWAY_ERRORS;

/**
 * An error the gateway answers with an S3 XML error document. `code` is the S3 error code that
 * clients switch on (so it is used verbatim, unlike the SCREAMING_CASE codes of other parts) and
 * `status` the HTTP status S3 uses for it; `details` may carry extra XML elements to echo back
 * (for example `Key`, `BucketName`, `RequestTime`).
 */
export class S3Error extends StratusError {
  declare readonly code: S3ErrorCode;
  constructor(code: S3ErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, S3_GATEWAY_ERRORS[code], message, details);
    this.name = 'S3Error';
  }
}
