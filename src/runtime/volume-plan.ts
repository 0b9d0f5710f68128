import type { KeyToPath, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import { containerConfigError } from './errors.js';
import type { ResolvedMount } from './runtime.js';

/** A ConfigMap's or Secret's payload as the API stores it (Secret `data` is base64). */
export interface VolumeSourceData {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** Lookups for the objects a pod's volumes project; undefined when the object does not exist. */
export interface VolumeSources {
  configMap: (name: string) => VolumeSourceData | undefined;
  secret: (name: string) => VolumeSourceData | undefined;
}

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
  | { name: string; kind: 'emptyDir'; medium?: string }
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
    return {
      name: volume.name,
      kind: 'emptyDir',
      ...(volume.emptyDir.medium !== undefined ? { medium: volume.emptyDir.medium } : {}),
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
 * path (`app-config` → `VOLUME_APP_CONFIG`).
 */
export function mountEnv(mounts: readonly ResolvedMount[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of mounts) env[`VOLUME_${m.name.toUpperCase().replace(/[-.]/g, '_')}`] = m.hostPath;
  return env;
}
