import { StratusError } from '../common/stratus-error.js';
import type { FieldError } from './resource-type.js';

/**
 * An object failed validation: `causes` are the field errors, in Kubernetes' StatusCause form.
 * The message is Kubernetes' own: `Deployment.apps "web" is invalid: spec.replicas: Invalid
 * value: -1: must be greater than or equal to 0`. The API maps it to a 422 `Invalid` Status.
 */
export class InvalidObjectError extends StratusError {
  readonly causes: FieldError[];
  constructor(qualifiedKind: string, name: string, causes: FieldError[]) {
    super('RESOURCE_INVALID', 422, invalidMessage(qualifiedKind, name, causes), { causes });
    this.name = 'InvalidObjectError';
    this.causes = causes;
  }
}

/**
 * A cron schedule that does not parse, with the reason: `Cannot parse schedule "* * *": expected
 * 5 fields, found 3`. The CronJob validation turns it into a field error; the controller never
 * sees one since invalid CronJobs are not stored.
 */
export class InvalidCronError extends StratusError {
  constructor(schedule: string, reason: string) {
    super('CRON_INVALID', 400, `Cannot parse schedule "${schedule}": ${reason}`, { schedule, reason });
    this.name = 'InvalidCronError';
  }
}

/** `field: message`, the form Kubernetes prints one field error in. */
export function formatFieldError(e: FieldError): string {
  return e.field ? `${e.field}: ${e.message}` : e.message;
}

/**
 * The message of Kubernetes' `Invalid` Status for a kind (`Deployment.apps`, `Pod`) and name:
 * one error inline, several in brackets, as apimachinery's `NewInvalid` writes it.
 */
export function invalidMessage(qualifiedKind: string, name: string, causes: FieldError[]): string {
  const parts = causes.map(formatFieldError);
  const body = parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
  return `${qualifiedKind} "${name}" is invalid: ${body}`;
}

/**
 * The message of the 400 BadRequest Kubernetes answers to unknown fields under
 * `fieldValidation=Strict`: `strict decoding error: unknown field "spec.foo", unknown field "x"`.
 */
export function strictDecodingMessage(causes: FieldError[]): string {
  return `strict decoding error: ${causes.map((c) => c.message).join(', ')}`;
}
