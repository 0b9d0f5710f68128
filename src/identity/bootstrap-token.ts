import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { KubeObject } from '../common/kube-object.js';
import type { Store } from '../store/index.js';
import { TOKEN_NAMESPACE } from './token-secret.js';
import type { UserInfo } from './user-info.js';

/** The Secret type of bootstrap tokens (kubeadm's and k3s' join tokens). */
export const BOOTSTRAP_TOKEN_TYPE = 'bootstrap.kubernetes.io/token';
/** The group every bootstrap token authenticates in. */
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
/** A bootstrap token: a public 6-character id, a dot, a 16-character secret. */
export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const EXTRA_GROUP = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** The Secret name of a bootstrap token id. */
export function bootstrapTokenSecretName(id: string): string {
  return `bootstrap-token-${id}`;
}

function randomText(length: number): string {
  let out = '';
  // 252 is the largest multiple of 36 below 256: rejecting the rest keeps every letter equally likely.
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) if (b < 252 && out.length < length) out += ALPHABET[b % 36];
  }
  return out;
}

/** A new random bootstrap token, `abcdef.0123456789abcdef`. */
export function newBootstrapToken(): string {
  return `${randomText(6)}.${randomText(16)}`;
}

const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/**
 * The Secret that holds a bootstrap token, as kubeadm writes it: `kube-system/bootstrap-token-ID`
 * of type `bootstrap.kubernetes.io/token` with `token-id`, `token-secret`, `expiration`,
 * `description` and the usages `authentication` and `signing`. A bootstrap token may only ask
 * for a node credential (RBAC binds `system:node-bootstrapper` to `system:bootstrappers`).
 */
export function bootstrapTokenSecret(
  token: string,
  options: { now: number; ttlMs?: number; description?: string },
): KubeObject {
  const m = BOOTSTRAP_TOKEN_PATTERN.exec(token);
  if (m === null) throw new RangeError('not a bootstrap token');
  const id = m[1] ?? '';
  const data: Record<string, string> = {
    'token-id': b64(id),
    'token-secret': b64(m[2] ?? ''),
    'usage-bootstrap-authentication': b64('true'),
    'usage-bootstrap-signing': b64('true'),
    description: b64(options.description ?? 'stratus token create --join'),
  };
  if (options.ttlMs !== undefined) data.expiration = b64(rfc3339(options.now + options.ttlMs));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: bootstrapTokenSecretName(id),
      namespace: TOKEN_NAMESPACE,
      uid: randomUUID(),
      creationTimestamp: rfc3339(options.now),
    },
    type: BOOTSTRAP_TOKEN_TYPE,
    data,
  };
}

/** What a bootstrap token Secret says, for `stratus token ls`. */
export interface BootstrapTokenRecord {
  id: string;
  expiresAt: number | undefined;
  description: string;
  extraGroups: string[];
}

/** Reads a bootstrap token Secret; undefined when it is not one. */
export function parseBootstrapTokenSecret(secret: KubeObject): BootstrapTokenRecord | undefined {
  if (secret.type !== BOOTSTRAP_TOKEN_TYPE) return undefined;
  const data = (secret.data ?? {}) as Record<string, string>;
  const text = (k: string): string => Buffer.from(data[k] ?? '', 'base64').toString();
  const expiration = text('expiration');
  const parsed = expiration === '' ? undefined : Date.parse(expiration);
  return {
    id: text('token-id'),
    expiresAt: parsed === undefined ? undefined : Number.isNaN(parsed) ? 0 : parsed,
    description: text('description'),
    extraGroups: text('auth-extra-groups')
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== ''),
  };
}

/**
 * Authenticates a bootstrap token as Kubernetes' bootstrap authenticator does: the Secret
 * `kube-system/bootstrap-token-ID` must exist, not be being deleted, hold the same secret
 * (compared in constant time), allow `usage-bootstrap-authentication` and not have expired. The
 * user is `system:bootstrap:ID` in `system:bootstrappers` plus the token's `auth-extra-groups`
 * (each `system:bootstrappers:…`). Undefined for anything else.
 */
export async function authenticateBootstrapToken(
  store: Pick<Store, 'get'>,
  token: string,
  now: number,
): Promise<UserInfo | undefined> {
  const m = BOOTSTRAP_TOKEN_PATTERN.exec(token);
  if (m === null) return undefined;
  const id = m[1] ?? '';
  const secret = await store.get('secrets', TOKEN_NAMESPACE, bootstrapTokenSecretName(id));
  if (secret === undefined || secret.metadata.deletionTimestamp !== undefined) return undefined;
  const record = parseBootstrapTokenSecret(secret);
  if (record === undefined || record.id !== id) return undefined;
  const data = (secret.data ?? {}) as Record<string, string>;
  const stored = Buffer.from(data['token-secret'] ?? '', 'base64');
  const given = Buffer.from(m[2] ?? '');
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
  if (Buffer.from(data['usage-bootstrap-authentication'] ?? '', 'base64').toString() !== 'true')
    return undefined;
  if (record.expiresAt !== undefined && record.expiresAt <= now) return undefined;
  if (!record.extraGroups.every((g) => EXTRA_GROUP.test(g))) return undefined;
  return { username: `system:bootstrap:${id}`, groups: [BOOTSTRAPPERS_GROUP, ...record.extraGroups] };
}
