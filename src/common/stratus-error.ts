/**
 * The base class of every user-facing error in Stratus. `code` is stable and never reused
 * (`BUCKET_NOT_FOUND`, `STORE_CONFLICT`); `status` is the HTTP status the API maps it to.
 * Each part defines its own subclasses or codes in its `errors.ts`; the API turns them into
 * Kubernetes `Status` objects, the S3 gateway into S3 XML errors, the CLI into one line on stderr.
 */
export class StratusError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'StratusError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** True when `err` is a StratusError with the given code. */
export function hasCode(err: unknown, code: string): boolean {
  return err instanceof StratusError && err.code === code;
}
