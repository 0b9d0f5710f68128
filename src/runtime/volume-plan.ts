import type {
  DownwardAPIVolumeFile,
  KeyToPath,
  ProjectedVolumeSource,
  Volume,
  VolumeMount,
} from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../common/quantity.js';
import { podFieldValue, type PodFields } from './env.js';
import { containerConfigError } from './errors.js';
import type { ResolvedMount } from './runtime.js';

/** A ConfigMap's or Secret's payload as the API stores it (Secret `data` is base64). */
export interface VolumeSourceData {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** A ServiceAccount token source of a projected volume, as the agent asks for it. */
export interface TokenSource {
  audience?: string;
  expirationSeconds: number;
}

/** Lookups for the objects a pod's volumes project; undefined when the object does not exist. */
export interface VolumeSources {
  configMap: (name: string) => VolumeSourceData | undefined;
  secret: (name: string) => VolumeSourceData | undefined;
  /** The pod's fields, for downward API files. */
  pod?: PodFields;
  /** The token of a projected `serviceAccountToken` source (the agent asked for it, bound to the pod). */
  serviceAccountToken?: (source: TokenSource) => string | undefined;
}

/** Where Kubernetes mounts a pod's ServiceAccount credentials. */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/** One file a volume holds, relative to the volume's root. */
export interface PlannedFile {
  path: string;
  content: string | Uint8Array;
  mode: number;
}

/**
 * What the host must hold for one volume: a folder the runtime owns (emptyDir, configMap,
 * secret: with these files) or a host path passed through (hostPath, with its `type` check).
 */
export type VolumePlan =
  | { name: string; kind: 'emptyDir'; medium?: 'Memory'; sizeLimitBytes?: number }
  | { name: string; kind: 'files'; files: PlannedFile[] }
  | { name: string; kind: 'hostPath'; path: string; type: string };

function base64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

function safeRelative(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.split('/').includes('..');
}

function projectFiles(
  what: string,
  name: string,
  source: VolumeSourceData | undefined,
  options: {
    items?: KeyToPath[] | undefined;
    defaultMode?: number | undefined;
    optional?: boolean | undefined;
    secret: boolean;
  },
): PlannedFile[] {
  const mode = options.defaultMode ?? 0o644;
  if (source === undefined) {
    if (options.optional === true) return [];
    throw containerConfigError(`${what} "${name}" not found`, { [what]: name });
  }
  const all = new Map<string, string | Uint8Array>();
  for (const [k, v] of Object.entries(source.data ?? {})) all.set(k, options.secret ? base64(v) : v);
  for (const [k, v] of Object.entries(source.binaryData ?? {})) all.set(k, base64(v));
  const items: KeyToPath[] = options.items ?? [...all.keys()].map((key) => ({ key, path: key }));
  const files: PlannedFile[] = [];
  for (const item of items) {
    const content = all.get(item.key);
    if (content === undefined) {
      if (options.optional === true) continue;
      throw containerConfigError(`couldn't find key ${item.key} in ${what} ${name}`, {
        [what]: name,
        key: item.key,
      });
    }
    if (!safeRelative(item.path))
      throw containerConfigError(`volume item path "${item.path}" must be relative without ".."`);
    files.push({ path: item.path, content, mode: item.mode ?? mode });
  }
  return files;
}

/**
 * Plans one pod volume from its spec and the ConfigMaps/Secrets it names; throws the
 * `RUNTIME_CONTAINER_CONFIG` error for a missing non-optional source or key, and for a volume
 * type the node cannot serve. Pure: `writeVolume` does the file system part.
 */
export function planVolume(volume: Volume, sources: VolumeSources): VolumePlan {
  if (volume.emptyDir !== undefined) {
    const { medium, sizeLimit } = volume.emptyDir;
    if (medium !== undefined && medium !== '' && medium !== 'Memory')
      throw containerConfigError(
        `emptyDir volume "${volume.name}" asks for medium "${medium}": this node serves "" (its disk) and "Memory" (a tmpfs)`,
      );
    if (medium !== 'Memory') return { name: volume.name, kind: 'emptyDir' };
    const bytes = sizeLimit === undefined ? undefined : parseQuantity(sizeLimit);
    if (sizeLimit !== undefined && (bytes === undefined || bytes <= 0))
      throw containerConfigError(`emptyDir volume "${volume.name}" has an invalid sizeLimit "${sizeLimit}"`);
    return {
      name: volume.name,
      kind: 'emptyDir',
      medium,
      ...(bytes !== undefined ? { sizeLimitBytes: Math.ceil(bytes) } : {}),
    };
  }
  if (volume.configMap !== undefined) {
    const cm = volume.configMap;
    const name = cm.name ?? '';
    const files = projectFiles('configmap', name, sources.configMap(name), {
      items: cm.items,
      defaultMode: cm.defaultMode,
      optional: cm.optional,
      secret: false,
    });
    return { name: volume.name, kind: 'files', files };
  }
  if (volume.secret !== undefined) {
    const s = volume.secret;
    const name = s.secretName ?? '';
    const files = projectFiles('secret', name, sources.secret(name), {
      items: s.items,
      defaultMode: s.defaultMode,
      optional: s.optional,
      secret: true,
    });
    return { name: volume.name, kind: 'files', files };
  }
  if (volume.projected !== undefined && volume.projected !== null) {
    return { name: volume.name, kind: 'files', files: projectedFiles(volume.projected, sources) };
  }
  if (volume.downwardAPI !== undefined && volume.downwardAPI !== null) {
    const mode = volume.downwardAPI.defaultMode ?? 0o644;
    return {
      name: volume.name,
      kind: 'files',
      files: downwardFiles(volume.downwardAPI.items ?? [], sources, mode),
    };
  }
  if (volume.hostPath !== undefined) {
    return {
      name: volume.name,
      kind: 'hostPath',
      path: volume.hostPath.path,
      type: volume.hostPath.type ?? '',
    };
  }
  const kind = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
  throw containerConfigError(`volume "${volume.name}": type ${kind} is not supported by this node`, {
    volume: volume.name,
  });
}

function downwardFiles(
  items: readonly DownwardAPIVolumeFile[],
  sources: VolumeSources,
  mode: number,
): PlannedFile[] {
  return items.map((item) => {
    const path = item.fieldRef?.fieldPath ?? '';
    const value = sources.pod === undefined || path === '' ? undefined : podFieldValue(path, sources.pod);
    if (value === undefined)
      throw containerConfigError(`downward API file "${item.path}": unsupported field "${path}"`);
    if (!safeRelative(item.path))
      throw containerConfigError(`volume item path "${item.path}" must be relative without ".."`);
    return { path: item.path, content: value, mode: item.mode ?? mode };
  });
}

/**
 * A projected volume's files: each source's (Secret and ConfigMap keys, downward API fields,
 * the ServiceAccount token) in one folder, as Kubernetes' projected volume lays them out.
 */
function projectedFiles(projected: ProjectedVolumeSource, sources: VolumeSources): PlannedFile[] {
  const mode = projected.defaultMode ?? 0o644;
  const files: PlannedFile[] = [];
  for (const source of projected.sources ?? []) {
    const ref = source.secret ?? source.configMap;
    if (ref !== undefined && ref !== null) {
      const secret = source.secret !== undefined && source.secret !== null;
      const name = ref.name ?? '';
      const data = secret ? sources.secret(name) : sources.configMap(name);
      const options = { items: ref.items, defaultMode: mode, optional: ref.optional, secret };
      files.push(...projectFiles(secret ? 'secret' : 'configmap', name, data, options));
    } else if (source.downwardAPI !== undefined && source.downwardAPI !== null) {
      files.push(...downwardFiles(source.downwardAPI.items ?? [], sources, mode));
    } else if (source.serviceAccountToken !== undefined && source.serviceAccountToken !== null) {
      const t = source.serviceAccountToken;
      const token = sources.serviceAccountToken?.({
        expirationSeconds: t.expirationSeconds ?? 3600,
        ...(t.audience ? { audience: t.audience } : {}),
      });
      if (token === undefined) throw containerConfigError(`no ServiceAccount token for "${t.path}" yet`);
      if (!safeRelative(t.path))
        throw containerConfigError(`volume item path "${t.path}" must be relative without ".."`);
      files.push({ path: t.path, content: token, mode });
    } else {
      throw containerConfigError(
        'projected volume: only secret, configMap, downwardAPI and serviceAccountToken sources are supported',
      );
    }
  }
  return files;
}

/**
 * Turns a container's volumeMounts into host paths, given where each pod volume lives on the
 * host; `subPath` is joined under the volume. Unknown volume names are a config error.
 */
export function resolveMounts(
  mounts: readonly VolumeMount[],
  volumePaths: Readonly<Record<string, string>>,
): ResolvedMount[] {
  return mounts.map((m) => {
    const base = Object.hasOwn(volumePaths, m.name) ? volumePaths[m.name] : undefined;
    if (base === undefined)
      throw containerConfigError(`volumeMount "${m.name}" names no volume of the pod`, { volume: m.name });
    if (m.subPath !== undefined && m.subPath !== '' && !safeRelative(m.subPath)) {
      throw containerConfigError(`subPath "${m.subPath}" must be relative without ".."`, { volume: m.name });
    }
    const hostPath =
      m.subPath !== undefined && m.subPath !== '' ? `${base.replace(/\/$/, '')}/${m.subPath}` : base;
    const out: ResolvedMount = { name: m.name, mountPath: m.mountPath, hostPath };
    if (m.readOnly !== undefined) out.readOnly = m.readOnly;
    if (m.subPath !== undefined) out.subPath = m.subPath;
    return out;
  });
}

/**
 * The environment the `process` runtime adds for mounts, since host processes share the host's
 * file system and cannot see a volume at its `mountPath`: `VOLUME_<NAME>` is the volume's host
 * path (`app-config` → `VOLUME_APP_CONFIG`), and `STRATUS_SERVICEACCOUNT_DIR` the folder
 * mounted at /var/run/secrets/kubernetes.io/serviceaccount (`token`, `ca.crt`, `namespace`).
 */
export function mountEnv(mounts: readonly ResolvedMount[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of mounts) {
    env[`VOLUME_${m.name.toUpperCase().replace(/[-.]/g, '_')}`] = m.hostPath;
    if (m.mountPath.replace(/\/$/, '') === SERVICE_ACCOUNT_MOUNT_PATH)
      env.STRATUS_SERVICEACCOUNT_DIR = m.hostPath;
  }
  return env;
}
