import { StratusError } from '../common/stratus-error.js';

/**
 * A command line the CLI cannot run: unknown command or flag, missing argument. The CLI prints
 * its message and a pointer to `stratus help COMMAND`, and exits 1.
 */
export class UsageError extends StratusError {
  /** The command whose usage the user should read, when known. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super('CLI_USAGE', 400, message, command === undefined ? undefined : { command });
    this.name = 'UsageError';
    this.command = command;
  }
}

/** A manifest that is not valid YAML or JSON, or is not a Kubernetes object; names the file. */
export class ManifestError extends StratusError {
  constructor(message: string, source: string) {
    super('CLI_MANIFEST_INVALID', 400, message, { source });
    this.name = 'ManifestError';
  }
}

/** `stratus kubeconfig` found no kubeconfig where a cloud would have written it. */
export class MissingKubeconfigError extends StratusError {
  constructor(path: string) {
    super(
      'CLI_KUBECONFIG_MISSING',
      404,
      `no kubeconfig at ${path}: start a cloud there with \`stratus up\` (or pass --data-dir)`,
      { path },
    );
    this.name = 'MissingKubeconfigError';
  }
}

/** `stratus server --join`/`--cluster-init` or `stratus cluster leave` could not do what was asked. */
export class ClusterMembershipError extends StratusError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('CLI_CLUSTER_MEMBERSHIP', 400, message, details);
    this.name = 'ClusterMembershipError';
  }
}
