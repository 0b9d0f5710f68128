import { StratusError } from '../common/stratus-error.js';

/**
 * Errors of the identity part, with stable codes:
 * - `IDENTITY_KUBECONFIG_UNREADABLE` (500): an existing kubeconfig in the data directory could
 *   not be read; it is rewritten only when it is valid YAML, so nothing a user edited by hand is
 *   silently lost.
 * - `IDENTITY_FORBIDDEN` (403): a write refused by admission (RBAC escalation, token Secrets),
 *   with Kubernetes' `… is forbidden: …` message.
 * - `IDENTITY_ROLE_NOT_FOUND` (404): a binding names a role that does not exist and its writer
 *   may not `bind` it.
 * - `IDENTITY_TTL_INVALID` (400): a token lifetime that is not a positive duration.
 * - `IDENTITY_TLS_SAN_INVALID` (400): a subject alternative name (`--tls-san`) that is neither a
 *   DNS name nor an IP address.
 * - `IDENTITY_TLS_FILES_INVALID` (400): `--tls-cert-file`/`--tls-private-key-file` missing one of
 *   the two, unreadable, or a key that does not belong to the certificate.
 * - `IDENTITY_CA_INVALID` (500): the cluster CA in the data directory cannot be used (half a pair,
 *   not a CA, expired, a key that does not match); it is never replaced without being asked.
 */
export class IdentityError extends StratusError {
  constructor(
    code:
      | 'IDENTITY_KUBECONFIG_UNREADABLE'
      | 'IDENTITY_FORBIDDEN'
      | 'IDENTITY_ROLE_NOT_FOUND'
      | 'IDENTITY_TTL_INVALID'
      | 'IDENTITY_TLS_SAN_INVALID'
      | 'IDENTITY_TLS_FILES_INVALID'
      | 'IDENTITY_CA_INVALID',
    status: number,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, status, message, details);
    this.name = 'IdentityError';
  }
}
