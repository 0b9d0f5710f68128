import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../common/free-port.js';

const BINARY = '/usr/bin/docker-registry';

/** True when Debian's docker-registry is installed; under CI=true its absence is an error. */
export function registryAvailable(): boolean {
  if (existsSync(BINARY)) return true;
  if (process.env['CI'] === 'true')
    throw new Error(`${BINARY} (Debian docker-registry) is required under CI`);
  return false;
}

/**
 * Debian's docker-registry (distribution 2.8) on 127.0.0.1 with its storage in a temp folder,
 * optionally behind htpasswd basic auth (bcrypt entries by `htpasswd -B`). For the pull, push and
 * agent tests; `close()` kills it by its pid and removes the folder.
 */
export class RegistryProcess {
  private constructor(
    readonly dir: string,
    readonly host: string,
    private readonly child: ChildProcess,
  ) {}

  /** Starts a registry and resolves once `/v2/` answers. */
  static async start(
    options: { users?: Record<string, string>; token?: { realm: string; certFile: string } } = {},
  ): Promise<RegistryProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-registry-'));
    const port = await freePort();
    let auth = '';
    if (options.users) {
      const lines = Object.entries(options.users).map(([user, password]) =>
        execFileSync('htpasswd', ['-n', '-b', '-B', '-C', '5', user, password]).toString().trim(),
      );
      await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
      auth = `auth:\n  htpasswd:\n    realm: stratus-test\n    path: ${join(dir, 'htpasswd')}\n`;
    }
    if (options.token) {
      auth = `auth:\n  token:\n    realm: ${options.token.realm}\n    service: stratus-test\n    issuer: stratus-test-issuer\n    rootcertbundle: ${options.token.certFile}\n`;
    }
    await writeFile(
      join(dir, 'config.yml'),
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: stratus-test\n${auth}`,
    );
    const child = spawn(BINARY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    const registry = new RegistryProcess(dir, `127.0.0.1:${port}`, child);
    for (;;) {
      if (child.exitCode !== null) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`docker-registry exited: ${stderr}`);
      }
      const ok = await fetch(`http://${registry.host}/v2/`).then(
        (r) => r.status === 200 || r.status === 401,
        () => false,
      );
      if (ok) return registry;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The folder the registry keeps blobs in (tests corrupt one to check digest verification). */
  blobPath(digest: string): string {
    const hex = digest.slice(7);
    return join(
      this.dir,
      'data',
      'docker',
      'registry',
      'v2',
      'blobs',
      'sha256',
      hex.slice(0, 2),
      hex,
      'data',
    );
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
