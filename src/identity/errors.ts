import { StratusError } from '../common/stratus-error.js';

/**
 * Errors of the identity part. `IDENTITY_KUBECONFIG_UNREADABLE` (500): an existing kubeconfig
 * in the data directory could not be read; it is rewritten only when it is valid YAML, so
 * nothing a user edited by hand is silently lost.
 */
export class IdentityError extends StratusError {
  constructor(
    code: 'IDENTITY_KUBECONFIG_UNREADABLE',
    status: number,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, status, message, details);
    this.name = 'IdentityError';
  }
}
