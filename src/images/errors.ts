import { StratusError } from '../common/stratus-error.js';

/**
 * The error every part of the image store raises. `code` is one of the `IMAGE_*` and
 * `REGISTRY_*` codes below; the agent maps the registry ones to the message of a pod's
 * `ErrImagePull` waiting state, the CLI prints the message as one line.
 */
export class ImageError extends StratusError {
  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(code, status, message, details);
    this.name = 'ImageError';
  }
}

/** A reference that Docker's grammar does not accept (`Busybox`, `a::b`, a short digest). */
export function referenceInvalid(reference: string, why: string): ImageError {
  return new ImageError('IMAGE_REFERENCE_INVALID', 400, `invalid image reference "${reference}": ${why}`, {
    reference,
  });
}

/** No image of this reference is in the store. */
export function imageNotFound(reference: string): ImageError {
  return new ImageError('IMAGE_NOT_FOUND', 404, `image "${reference}" not found`, { reference });
}

/** Content whose sha256 is not the digest it was stored or fetched under. */
export function digestMismatch(expected: string, actual: string, what: string): ImageError {
  return new ImageError(
    'IMAGE_DIGEST_MISMATCH',
    502,
    `digest mismatch for ${what}: expected ${expected}, got ${actual}`,
    { expected, actual },
  );
}

/** An archive, manifest or config that cannot be read as an image. */
export function archiveInvalid(message: string): ImageError {
  return new ImageError('IMAGE_ARCHIVE_INVALID', 400, message);
}

/** A Dockerfile that cannot be built: the message names the line. */
export function buildFailed(message: string, details?: Record<string, unknown>): ImageError {
  return new ImageError('IMAGE_BUILD_FAILED', 400, message, details);
}

/** An image that cannot be removed because a running pod uses it. */
export function imageInUse(reference: string): ImageError {
  return new ImageError('IMAGE_IN_USE', 409, `image "${reference}" is in use by a running container`, {
    reference,
  });
}

/** The registry refused our credentials (or wanted some). */
export function registryUnauthorized(message: string): ImageError {
  return new ImageError('REGISTRY_UNAUTHORIZED', 401, message);
}

/** The registry could not be reached (connection refused, DNS, TLS). */
export function registryUnreachable(message: string): ImageError {
  return new ImageError('REGISTRY_UNREACHABLE', 503, message);
}

/** The registry has no such repository, tag or blob. */
export function registryNotFound(message: string): ImageError {
  return new ImageError('REGISTRY_NOT_FOUND', 404, message);
}

/** The registry answered something we cannot use (unexpected status, media type, platform). */
export function registryProtocol(message: string): ImageError {
  return new ImageError('REGISTRY_PROTOCOL', 502, message);
}
