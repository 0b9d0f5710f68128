import { StratusError } from '../../common/stratus-error.js';

/**
 * A patch that cannot be applied. `PATCH_INVALID` with status 400 when the patch document itself
 * is malformed (not a list of operations, an unknown `op`, a bad directive), 422 when it is well
 * formed but does not fit the target (a path that does not exist); `PATCH_TEST_FAILED` (422) when
 * an RFC 6902 `test` operation does not match. The API maps it to a Kubernetes `Status`.
 */
export class PatchError extends StratusError {
  constructor(code: 'PATCH_INVALID' | 'PATCH_TEST_FAILED', status: 400 | 422, message: string) {
    super(code, status, message);
    this.name = 'PatchError';
  }
}

/** One field another manager owns with a different value: `.spec.replicas` and its manager. */
export interface ApplyConflict {
  /** The field path in Kubernetes' form: `.spec.template.spec.containers[name="web"].image`. */
  field: string;
  /** The manager as Kubernetes prints it: `"kubectl-client-side-apply" using apps/v1`. */
  manager: string;
  /** The bare manager name: `kubectl-client-side-apply`. */
  managerName: string;
  /** The path as FieldsV1 elements: `['f:spec', 'f:replicas']`. */
  path: string[];
}

/**
 * A server-side apply that would take fields other managers own with other values (code
 * `APPLY_CONFLICT`, status 409). `conflicts` lists them so the API can fill
 * `Status.details.causes` with `reason: FieldManagerConflict`, `field` and
 * `message: conflict with <manager>`; the message is Kubernetes' own wording.
 */
export class ApplyConflictError extends StratusError {
  readonly conflicts: ApplyConflict[];

  constructor(conflicts: ApplyConflict[]) {
    super('APPLY_CONFLICT', 409, conflictMessage(conflicts), {
      causes: conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        field: c.field,
        message: `conflict with ${c.manager}`,
      })),
    });
    this.name = 'ApplyConflictError';
    this.conflicts = conflicts;
  }
}

function conflictMessage(conflicts: ApplyConflict[]): string {
  const [only] = conflicts;
  if (conflicts.length === 1 && only) {
    return `Apply failed with 1 conflict: conflict with ${only.manager}: ${only.field}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
  const lines: string[] = [];
  for (const manager of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${manager}:`);
    for (const field of byManager.get(manager) ?? []) lines.push(`- ${field}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}
