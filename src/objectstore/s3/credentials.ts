import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, writeFile, rename, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { ACCESS_KEY_USER_LABEL, accessKeyUserLabel } from '../../common/access-key-label.js';
import type { KubeObject } from '../../common/kube-object.js';
import type { Store, Watcher } from '../../store/index.js';
import type { GranteeResolver } from './acl.js';
import { canonicalId } from './owner-id.js';

/** Where the gateway looks up the secret of an access key id. */
export interface CredentialStore {
  lookup(accessKeyId: string): Promise<{ secretAccessKey: string; user: string } | undefined>;
  /**
   * Resolves ACL grantees (canonical ids, emails) to the users that hold S3 keys; without it no
   * grant to a user resolves.
   */
  grantees?(): GranteeResolver;
}

/** The store resource of S3 access keys (cluster-scoped). */
export const ACCESS_KEY_RESOURCE = 'accesskeys.iam.stratus.dev';

/** An S3 access key pair and the user it acts as. */
export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  user: string;
}

/** The key pair an AccessKey object holds; undefined when it is malformed. */
export function toAccessKey(obj: KubeObject): AccessKey | undefined {
  const spec = obj.spec as { user?: unknown; secretAccessKey?: unknown } | undefined;
  const id = obj.metadata.name;
  if (id === undefined || typeof spec?.user !== 'string' || typeof spec.secretAccessKey !== 'string')
    return undefined;
  return { accessKeyId: id, secretAccessKey: spec.secretAccessKey, user: spec.user };
}

/**
 * Access keys read from the resource store (`AccessKey` objects in `accesskeys.iam.stratus.dev`)
 * and cached in memory, kept fresh by a watch so that the gateway does not hit the store on
 * every request; a cache miss still reads the store, so a key created a moment ago works at once.
 */
export class StoreCredentials implements CredentialStore {
  private readonly cache = new Map<string, AccessKey>();
  private watcher: Watcher | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;

  /**
   * `active` decides whether a key's user still exists: a removed user's keys answer as unknown
   * keys (`InvalidAccessKeyId`), as AWS answers for the keys of a deleted IAM user.
   */
  constructor(
    private readonly store: Store,
    private readonly active: (user: string) => Promise<boolean> = () => Promise.resolve(true),
  ) {}

  /** Looks up a key, filling the cache and starting the watch on first use. */
  async lookup(accessKeyId: string): Promise<{ secretAccessKey: string; user: string } | undefined> {
    await this.start();
    let key = this.cache.get(accessKeyId);
    if (key === undefined) {
      if (!/^[A-Za-z0-9._-]{1,128}$/.test(accessKeyId)) return undefined;
      const obj = await this.store.get(ACCESS_KEY_RESOURCE, '', accessKeyId);
      key = obj === undefined ? undefined : toAccessKey(obj);
      if (key === undefined) return undefined;
      this.cache.set(key.accessKeyId, key);
    }
    if (!(await this.active(key.user))) return undefined;
    return { secretAccessKey: key.secretAccessKey, user: key.user };
  }

  /**
   * Grantees resolve among the users holding a key: by canonical id (`canonicalId`), or by an
   * email that is the user's name (Stratus users have no separate email address).
   */
  grantees(): GranteeResolver {
    const users = (): Set<string> => new Set([...this.cache.values()].map((k) => k.user));
    return {
      byId: (id) => [...users()].find((u) => canonicalId(u) === id || u === id),
      byEmail: (email) => [...users()].find((u) => u.toLowerCase() === email.toLowerCase()),
    };
  }

  private start(): Promise<void> {
    this.starting ??= (async () => {
      const list = await this.store.list(ACCESS_KEY_RESOURCE);
      for (const obj of list.items) {
        const key = toAccessKey(obj);
        if (key !== undefined) this.cache.set(key.accessKeyId, key);
      }
      if (this.closed) return;
      this.watcher = await this.store.watch(ACCESS_KEY_RESOURCE, { fromRevision: list.revision }, (event) => {
        const name = event.object.metadata.name;
        if (name === undefined) return;
        const key = event.type === 'DELETED' ? undefined : toAccessKey(event.object);
        if (key === undefined) this.cache.delete(name);
        else this.cache.set(name, key);
      });
      if (this.closed) await this.watcher.close();
    })();
    return this.starting;
  }

  /** Stops the watch. */
  async close(): Promise<void> {
    this.closed = true;
    await this.starting?.catch(() => undefined);
    await this.watcher?.close();
  }
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomString(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/**
 * Creates a new access key pair for `user` in the store: an AKIA-style 20-character id and a
 * 40-character secret, both random. Returns the pair; the secret is readable only from the store.
 */
export async function createAccessKey(store: Store, user: string): Promise<AccessKey> {
  const key = generateAccessKey(user);
  const obj = accessKeyObject(key);
  // Written to the store directly, so fill what the API server would (kubectl shows the AGE).
  obj.metadata.uid = randomUUID();
  obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await store.create(ACCESS_KEY_RESOURCE, obj);
  return key;
}

/**
 * Generates a new random key pair for `user` without storing it: an AKIA-style 20-character id
 * and a 40-character secret. The CLI calls it client-side and creates the AccessKey through the
 * API, so the secret never has to be read back.
 */
export function generateAccessKey(user: string): AccessKey {
  return {
    accessKeyId: 'AKIA' + randomString(ID_ALPHABET, 16),
    secretAccessKey: randomString(SECRET_ALPHABET, 40),
    user,
  };
}

/** The `iam.stratus.dev/v1` AccessKey object that stores a key pair. */
export function accessKeyObject(key: AccessKey): KubeObject {
  return {
    apiVersion: 'iam.stratus.dev/v1',
    kind: 'AccessKey',
    metadata: { name: key.accessKeyId, labels: userLabels(key.user) },
    spec: { user: key.user, secretAccessKey: key.secretAccessKey },
  };
}

function userLabels(user: string): Record<string, string> {
  const label = accessKeyUserLabel(user);
  return label === undefined ? {} : { [ACCESS_KEY_USER_LABEL]: label };
}

/** The text of an aws-cli credentials file holding one key pair as the `[default]` profile. */
export function credentialsIni(key: Pick<AccessKey, 'accessKeyId' | 'secretAccessKey'>): string {
  return `[default]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`;
}

async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** The key pair in an aws-cli credentials file's text (its first profile that names one). */
export function parseCredentialsIni(text: string): { accessKeyId?: string; secretAccessKey?: string } {
  const id = /^\s*aws_access_key_id\s*=\s*(\S+)/m.exec(text)?.[1];
  const secret = /^\s*aws_secret_access_key\s*=\s*(\S+)/m.exec(text)?.[1];
  return {
    ...(id === undefined ? {} : { accessKeyId: id }),
    ...(secret === undefined ? {} : { secretAccessKey: secret }),
  };
}

/**
 * Makes sure the admin has an S3 key pair: on first start (no `DATA_DIR/s3-credentials`, or one
 * whose key is gone from the store) it creates one for user `admin` and writes
 * `DATA_DIR/s3-credentials` (aws-cli credentials INI) and `DATA_DIR/s3-config` (region, us-east-1 by default,
 * endpoint_url, path-style addressing and, for an https endpoint with a private CA, `ca_bundle`
 * naming the CA file), both mode 0600. Later starts reuse the pair and rewrite the config.
 */
export async function bootstrapS3Admin(
  store: Store,
  dataDir: string,
  options: { endpoint: string; caBundle?: string; region?: string },
): Promise<AccessKey> {
  const credPath = join(dataDir, 's3-credentials');
  const configPath = join(dataDir, 's3-config');
  let key: AccessKey | undefined;
  const existing = parseCredentialsIni(await readFile(credPath, 'utf8').catch(() => ''));
  if (existing.accessKeyId !== undefined) {
    const obj = await store.get(ACCESS_KEY_RESOURCE, '', existing.accessKeyId);
    const stored = obj === undefined ? undefined : toAccessKey(obj);
    if (stored !== undefined && stored.secretAccessKey === existing.secretAccessKey) key = stored;
  }
  if (key === undefined) {
    key = await createAccessKey(store, 'admin');
    await writePrivate(credPath, credentialsIni(key));
  }
  await writePrivate(
    configPath,
    `[default]\nregion = ${options.region ?? 'us-east-1'}\nendpoint_url = ${options.endpoint}\n` +
      (options.caBundle === undefined ? '' : `ca_bundle = ${options.caBundle}\n`) +
      's3 =\n    addressing_style = path\n',
  );
  return key;
}
