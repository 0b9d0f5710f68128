import { StratusError } from '../../common/stratus-error.js';
import { xmlDocument, type XmlNode } from './xml.js';

/** An S3 error reduced to what goes on the wire. */
export interface S3ErrorReply {
  status: number;
  code: string;
  message: string;
  extra: Record<string, unknown>;
}

/**
 * Maps any thrown value to an S3 error reply: StratusErrors whose code is an S3 code (every
 * ObjectStoreError, the engine's and the gateway's) keep their code and status; other
 * StratusErrors keep their status under a generic S3 code; anything else is InternalError
 * (500), without leaking its message.
 */
export function toErrorReply(err: unknown): S3ErrorReply {
  if (err instanceof StratusError) {
    const s3Code = /^[A-Z][A-Za-z0-9]+$/.test(err.code);
    if (s3Code) return { status: err.status, code: err.code, message: err.message, extra: err.details ?? {} };
    const code =
      err.status === 404
        ? 'NoSuchKey'
        : err.status === 409
          ? 'OperationAborted'
          : err.status === 403
            ? 'AccessDenied'
            : err.status >= 500
              ? 'InternalError'
              : 'InvalidRequest';
    return { status: err.status, code, message: err.message, extra: {} };
  }
  return {
    status: 500,
    code: 'InternalError',
    message: 'We encountered an internal error. Please try again.',
    extra: {},
  };
}

/** The S3 XML error document: `<Error><Code/><Message/>…<Resource/><RequestId/></Error>`. */
export function errorXml(reply: S3ErrorReply, resource: string, requestId: string): string {
  const extra: XmlNode[] = Object.entries(reply.extra)
    .filter(
      ([k, v]) =>
        /^[A-Z][A-Za-z-]+$/.test(k) &&
        (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'),
    )
    .map(([k, v]): XmlNode => [k, v as string | number | boolean]);
  return xmlDocument(
    'Error',
    [
      ['Code', reply.code],
      ['Message', reply.message],
      ...extra,
      ['Resource', resource],
      ['RequestId', requestId],
    ],
    '',
  );
}
