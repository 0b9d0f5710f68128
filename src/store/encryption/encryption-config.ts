import { parse } from 'yaml';
import { StoreError } from '../errors.js';

/** The resources Stratus can encrypt at rest (their field selectors read only plaintext fields). */
export const ENCRYPTABLE_RESOURCES = ['secrets', 'configmaps', 'accesskeys.iam.stratus.dev'];

/** One key of a provider: its name (part of the stored prefix) and its bytes. */
export interface EncryptionKey {
  name: string;
  secret: Buffer;
}

/** A provider of kube-apiserver's EncryptionConfiguration that Stratus implements. */
export interface EncryptionProvider {
  type: 'aesgcm' | 'aescbc' | 'identity';
  /** The keys, the first one encrypting writes; none for identity. */
  keys: EncryptionKey[];
}

/** A parsed EncryptionConfiguration: providers per store resource, the first writing. */
export interface EncryptionConfig {
  providersFor(resource: string): readonly EncryptionProvider[] | undefined;
  /** The resources with providers. */
  readonly resources: readonly string[];
}

/** A configuration that encrypts nothing (every resource stored as is). */
export const IDENTITY_CONFIG: EncryptionConfig = { providersFor: () => undefined, resources: [] };

const KEY_LENGTHS: Record<'aesgcm' | 'aescbc', number[]> = { aesgcm: [16, 24, 32], aescbc: [16, 24, 32] };

function invalid(path: string, why: string): StoreError {
  return new StoreError(
    'STORE_ENCRYPTION_CONFIG_INVALID',
    400,
    `invalid encryption configuration: ${path}: ${why}`,
  );
}

function parseKeys(type: 'aesgcm' | 'aescbc', value: unknown, path: string): EncryptionKey[] {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw invalid(`${path}.keys`, 'Required value');
  const seen = new Set<string>();
  return keys.map((k: unknown, i) => {
    const at = `${path}.keys[${i}]`;
    const { name, secret } = (k ?? {}) as { name?: unknown; secret?: unknown };
    if (typeof name !== 'string' || name === '') throw invalid(`${at}.name`, 'Required value');
    if (name.includes(':')) throw invalid(`${at}.name`, `Invalid value: "${name}": should not contain ':'`);
    if (seen.has(name)) throw invalid(`${at}.name`, `Duplicate value: "${name}"`);
    seen.add(name);
    if (typeof secret !== 'string' || secret === '') throw invalid(`${at}.secret`, 'Required value');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(secret) || secret.length % 4 !== 0)
      throw invalid(`${at}.secret`, 'Invalid value: "REDACTED": secrets must be base64 encoded');
    const bytes = Buffer.from(secret, 'base64');
    const allowed = KEY_LENGTHS[type];
    if (!allowed.includes(bytes.length)) {
      throw invalid(
        `${at}.secret`,
        `Invalid value: "REDACTED": secret is not of the expected length, got ${bytes.length}, expected one of [${allowed.join(' ')}]`,
      );
    }
    return { name, secret: bytes };
  });
}

function parseProvider(value: unknown, path: string): EncryptionProvider {
  const entries = Object.entries((value ?? {}) as Record<string, unknown>);
  if (entries.length !== 1) {
    throw invalid(
      path,
      'exactly one provider type must be given per list element (aesgcm, aescbc or identity)',
    );
  }
  const [type, body] = entries[0] ?? ['', undefined];
  if (type === 'identity') return { type, keys: [] };
  if (type === 'aesgcm' || type === 'aescbc') return { type, keys: parseKeys(type, body, `${path}.${type}`) };
  if (type === 'secretbox' || type === 'kms') {
    throw invalid(
      `${path}.${type}`,
      `provider ${type} is not supported by Stratus: use aesgcm (or aescbc, identity)`,
    );
  }
  throw invalid(path, `unknown provider "${type}"`);
}

/** The encryptable resources a config entry names: exact names, `*.GROUP`, `*.*`. */
function resolveResources(names: unknown, path: string): string[] {
  if (!Array.isArray(names) || names.length === 0)
    throw invalid(path, 'Required value: resources is a required field');
  const out: string[] = [];
  names.forEach((n: unknown, i) => {
    if (typeof n !== 'string') throw invalid(`${path}[${i}]`, 'must be a string');
    const lower = n.toLowerCase();
    if (lower === '*.*') out.push(...ENCRYPTABLE_RESOURCES);
    else if (lower === '*.') out.push(...ENCRYPTABLE_RESOURCES.filter((r) => !r.includes('.')));
    else if (lower.startsWith('*.'))
      out.push(...ENCRYPTABLE_RESOURCES.filter((r) => r.endsWith(lower.slice(1))));
    else if (ENCRYPTABLE_RESOURCES.includes(lower)) out.push(lower);
    else
      throw invalid(
        `${path}[${i}]`,
        `Invalid value: "${n}": Stratus encrypts only ${ENCRYPTABLE_RESOURCES.join(', ')}`,
      );
  });
  return out;
}

/**
 * Parses kube-apiserver's EncryptionConfiguration (`apiserver.config.k8s.io/v1`): per group of
 * resources, providers in order — the first encrypts every write, all of them decrypt what
 * carries their prefix. Stratus implements `aesgcm`, `aescbc` and `identity`; a resource named
 * by two entries takes the first. Errors name the field (`resources[0].providers[0].aesgcm.
 * keys[0].secret: … expected one of [16 24 32]`).
 */
export function parseEncryptionConfig(text: string): EncryptionConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw invalid('(file)', `not YAML: ${(err as Error).message}`);
  }
  const { apiVersion, kind, resources } = (doc ?? {}) as Record<string, unknown>;
  if (kind !== 'EncryptionConfiguration' || apiVersion !== 'apiserver.config.k8s.io/v1') {
    throw invalid('kind', 'must be an EncryptionConfiguration of apiVersion apiserver.config.k8s.io/v1');
  }
  if (!Array.isArray(resources) || resources.length === 0) throw invalid('resources', 'Required value');
  const byResource = new Map<string, EncryptionProvider[]>();
  resources.forEach((entry: unknown, i) => {
    const { resources: names, providers } = (entry ?? {}) as Record<string, unknown>;
    const covered = resolveResources(names, `resources[${i}].resources`);
    if (!Array.isArray(providers) || providers.length === 0)
      throw invalid(`resources[${i}].providers`, 'Required value');
    const parsed = providers.map((p: unknown, j) => parseProvider(p, `resources[${i}].providers[${j}]`));
    for (const r of covered) if (!byResource.has(r)) byResource.set(r, parsed);
  });
  return { providersFor: (r) => byResource.get(r), resources: [...byResource.keys()] };
}
