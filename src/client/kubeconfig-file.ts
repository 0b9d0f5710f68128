import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { KubeconfigError } from './errors.js';
import { parseKubeconfig, type ClusterConfig } from './kubeconfig.js';

/**
 * The kubeconfig a command uses when `--kubeconfig` is not given: the first existing file of
 * `$KUBECONFIG` (a path list, as kubectl reads it), then `./.stratus/kubeconfig` (what
 * `stratus up` writes), then `~/.kube/config`. Returns the last candidate when none exists, so
 * the error names a path.
 */
export function defaultKubeconfigPath(
  options: { env?: NodeJS.ProcessEnv; cwd?: string; home?: string } = {},
): string {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const candidates = [
    ...(env['KUBECONFIG'] ?? '').split(delimiter).filter((p) => p !== ''),
    join(cwd, '.stratus', 'kubeconfig'),
    join(options.home ?? homedir(), '.kube', 'config'),
  ].map((p) => resolve(cwd, p));
  return candidates.find((p) => existsSync(p)) ?? (candidates.at(-1) as string);
}

/** Reads and parses a kubeconfig file; a missing file is a KubeconfigError naming the path. */
export function loadKubeconfig(path: string, options: { context?: string } = {}): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file (start a cloud with `stratus up`)' : (err as Error).message;
    throw new KubeconfigError(`Cannot read kubeconfig ${path}: ${why}`, { path });
  }
  const config = parseKubeconfig(text, path, options);
  if (config.certificateAuthority !== undefined && config.certificateAuthorityData === undefined) {
    const caPath = resolve(dirname(path), config.certificateAuthority);
    try {
      config.certificateAuthorityData = readFileSync(caPath, 'utf8');
    } catch (err) {
      throw new KubeconfigError(
        `Cannot read certificate-authority ${caPath} named in ${path}: ${(err as Error).message}`,
        { path },
      );
    }
  }
  return config;
}
