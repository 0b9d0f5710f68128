import type { Container, EnvFromSource, EnvVar } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../common/quantity.js';
import { containerConfigError } from './errors.js';

/** The pod fields `fieldRef` can read. */
export interface PodFields {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeName?: string;
  serviceAccountName?: string;
  podIP?: string;
  hostIP?: string;
}

/**
 * Where env values come from. `configMap` and `secret` answer a ConfigMap's `data` or a Secret's
 * decoded `data` by name, undefined when it does not exist; the agent reads them from its cache.
 */
export interface EnvSources {
  pod: PodFields;
  configMap: (name: string) => Record<string, string> | undefined;
  secret: (name: string) => Record<string, string> | undefined;
}

/**
 * Expands `$(VAR)` references the way Kubernetes does: a defined variable is replaced, `$$` is
 * an escaped `$`, and a reference to an undefined variable stays as written.
 */
export function expandVars(input: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
      out += value ?? `$(${name})`;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * The value of a pod field as `fieldRef` reads it (`metadata.name`, `metadata.labels['app']`,
 * `status.podIP` …); the whole `metadata.labels` and `metadata.annotations` maps as the downward
 * API volume writes them (`key="value"` lines, sorted); undefined for an unsupported path.
 */
export function podFieldValue(path: string, pod: PodFields): string | undefined {
  if (path === 'metadata.labels' || path === 'metadata.annotations') {
    const map = (path === 'metadata.labels' ? pod.labels : pod.annotations) ?? {};
    return Object.keys(map)
      .sort()
      .map((k) => `${k}=${JSON.stringify(map[k])}`)
      .join('\n');
  }
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m !== null) return (m[1] === 'labels' ? pod.labels : pod.annotations)?.[m[2] ?? ''] ?? '';
  const table: Record<string, string | undefined> = {
    'metadata.name': pod.name,
    'metadata.namespace': pod.namespace,
    'metadata.uid': pod.uid,
    'spec.nodeName': pod.nodeName ?? '',
    'spec.serviceAccountName': pod.serviceAccountName ?? '',
    'status.podIP': pod.podIP ?? '',
    'status.podIPs': pod.podIP ?? '',
    'status.hostIP': pod.hostIP ?? '',
    'status.hostIPs': pod.hostIP ?? '',
  };
  return Object.hasOwn(table, path) ? table[path] : undefined;
}

function resourceValue(
  container: Container,
  ref: NonNullable<EnvVar['valueFrom']>['resourceFieldRef'],
): string | undefined {
  if (ref === undefined) return undefined;
  const [kind, resource] = ref.resource.split('.');
  const list =
    kind === 'limits'
      ? container.resources?.limits
      : kind === 'requests'
        ? container.resources?.requests
        : undefined;
  if (
    resource === undefined ||
    (resource !== 'cpu' && resource !== 'memory' && resource !== 'ephemeral-storage')
  )
    return undefined;
  const raw = list?.[resource] ?? container.resources?.limits?.[resource];
  const value = raw === undefined ? 0 : parseQuantity(raw);
  const divisor = parseQuantity(ref.divisor ?? 1);
  if (value === undefined || divisor === undefined || divisor === 0) return undefined;
  return String(Math.ceil(value / divisor));
}

/**
 * Resolves a container's environment into a flat record: `envFrom` sources first (with their
 * prefix), then `env` in order, each value expanded against the variables before it; `valueFrom`
 * reads ConfigMap and Secret keys, pod fields and resource limits. Every missing non-optional
 * reference is collected, and they are thrown together as one `RUNTIME_CONTAINER_CONFIG` error
 * (the agent's `CreateContainerConfigError`).
 */
export function resolveEnv(container: Container, sources: EnvSources): Record<string, string> {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  const ns = sources.pod.namespace;
  for (const from of container.envFrom ?? ([] as EnvFromSource[])) {
    const prefix = from.prefix ?? '';
    const ref = from.configMapRef ?? from.secretRef;
    const isSecret = from.configMapRef === undefined;
    if (ref?.name === undefined) continue;
    const data = isSecret ? sources.secret(ref.name) : sources.configMap(ref.name);
    if (data === undefined) {
      if (ref.optional !== true)
        problems.push(`${isSecret ? 'secret' : 'configmap'} "${ref.name}" not found`);
      continue;
    }
    for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
  }
  for (const v of container.env ?? []) {
    if (v.valueFrom === undefined) {
      env[v.name] = expandVars(v.value ?? '', env);
      continue;
    }
    const { configMapKeyRef: cm, secretKeyRef: sec, fieldRef, resourceFieldRef } = v.valueFrom;
    const keyRef = cm ?? sec;
    if (keyRef !== undefined) {
      const kind = cm !== undefined ? 'ConfigMap' : 'Secret';
      const data =
        keyRef.name === undefined
          ? undefined
          : cm !== undefined
            ? sources.configMap(keyRef.name)
            : sources.secret(keyRef.name);
      const value = data?.[keyRef.key];
      if (value !== undefined) env[v.name] = value;
      else if (keyRef.optional !== true) {
        problems.push(
          data === undefined
            ? `${kind.toLowerCase()} "${keyRef.name ?? ''}" not found`
            : `couldn't find key ${keyRef.key} in ${kind} ${ns}/${keyRef.name ?? ''}`,
        );
      }
    } else if (fieldRef !== undefined) {
      // Whole label and annotation maps are for downward API volumes, not env (as Kubernetes).
      const whole = fieldRef.fieldPath === 'metadata.labels' || fieldRef.fieldPath === 'metadata.annotations';
      const value = whole ? undefined : podFieldValue(fieldRef.fieldPath, sources.pod);
      if (value === undefined)
        problems.push(`unsupported fieldPath "${fieldRef.fieldPath}" in env ${v.name}`);
      else env[v.name] = value;
    } else if (resourceFieldRef !== undefined) {
      const value = resourceValue(container, resourceFieldRef);
      if (value === undefined)
        problems.push(`unsupported resourceFieldRef "${resourceFieldRef.resource}" in env ${v.name}`);
      else env[v.name] = value;
    }
  }
  if (problems.length > 0) {
    throw containerConfigError(
      `Cannot resolve env of container "${container.name}": ${problems.join('; ')}`,
      {
        container: container.name,
        problems,
      },
    );
  }
  return env;
}

/** The container's command and args joined, with `$(VAR)` expanded against the resolved env. */
export function resolveCommand(container: Container, env: Readonly<Record<string, string>>): string[] {
  return [...(container.command ?? []), ...(container.args ?? [])].map((s) => expandVars(s, env));
}
