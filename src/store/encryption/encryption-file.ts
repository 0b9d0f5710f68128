import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import { parseEncryptionConfig, type EncryptionConfig } from './encryption-config.js';

/** Where `stratus server` and `up` keep the encryption configuration they make. */
export const ENCRYPTION_CONFIG_FILE = 'encryption-config.yaml';

/** A configuration encrypting Secrets and AccessKeys with AES-GCM under one fresh 32-byte key. */
export function defaultEncryptionConfigText(key: Buffer = randomBytes(32)): string {
  return `# Made by stratus: how Secrets and AccessKeys are encrypted at rest (kube-apiserver's format).
# To rotate: add a new key first under aesgcm.keys, restart, run \`stratus secrets reencrypt\`,
# then remove the old key. Keep this file (mode 0600) and its backups safe: without the key,
# the stored secrets cannot be read.
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
      - accesskeys.iam.stratus.dev
    providers:
      - aesgcm:
          keys:
            - name: key1
              secret: ${key.toString('base64')}
      - identity: {}
`;
}

/**
 * The encryption configuration a server uses: the file given, or DATA_DIR/encryption-config.yaml,
 * which is written with a fresh key (mode 0600) when it does not exist. Either file is read
 * and checked; an unreadable or invalid one fails the start, naming the file.
 */
export async function loadEncryptionConfig(
  dataDir: string,
  options: { file?: string } = {},
): Promise<{ path: string; config: EncryptionConfig }> {
  const path = options.file ?? join(dataDir, ENCRYPTION_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || options.file !== undefined) {
      throw new StoreError(
        'STORE_ENCRYPTION_CONFIG_INVALID',
        400,
        `cannot read the encryption configuration ${path}: ${(err as Error).message}`,
      );
    }
    text = defaultEncryptionConfigText();
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  }
  try {
    return { path, config: parseEncryptionConfig(text) };
  } catch (err) {
    throw new StoreError('STORE_ENCRYPTION_CONFIG_INVALID', 400, `${path}: ${(err as Error).message}`);
  }
}
