import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/index.js';
import { StatusError } from '../client/index.js';
import {
  mapContainerPorts,
  planVolume,
  podVolumesDir,
  resolveCommand,
  resolveEnv,
  resolveMounts,
  containerLimits,
  writeVolume,
  type ContainerSpec,
  type PortMapping,
} from '../runtime/index.js';

/** ConfigMaps and Secrets a pod refers to, fetched once per container start. */
export interface PodSources {
  configMaps: Map<string, Record<string, string> | undefined>;
  secrets: Map<string, Record<string, string> | undefined>;
}

function referencedNames(pod: Pod): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const v of pod.spec?.volumes ?? []) {
    if (v.configMap?.name !== undefined) configMaps.add(v.configMap.name);
    if (v.secret?.secretName !== undefined) secrets.add(v.secret.secretName);
  }
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const f of c.envFrom ?? []) {
      if (f.configMapRef?.name !== undefined) configMaps.add(f.configMapRef.name);
      if (f.secretRef?.name !== undefined) secrets.add(f.secretRef.name);
    }
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef?.name;
      const sec = e.valueFrom?.secretKeyRef?.name;
      if (cm !== undefined) configMaps.add(cm);
      if (sec !== undefined) secrets.add(sec);
    }
  }
  return { configMaps, secrets };
}

async function fetchData(
  client: KubeClient,
  resource: string,
  name: string,
  namespace: string,
): Promise<Record<string, string> | undefined> {
  try {
    const o = (await client.get(resource, name, { namespace })) as { data?: Record<string, string> };
    return o.data ?? {};
  } catch (err) {
    if (err instanceof StatusError && err.status === 404) return undefined;
    throw err;
  }
}

/** Reads the ConfigMaps and Secrets (raw, base64 `data`) the pod's env and volumes name. */
export async function fetchPodSources(client: KubeClient, pod: Pod): Promise<PodSources> {
  const ns = pod.metadata?.namespace ?? 'default';
  const names = referencedNames(pod);
  const out: PodSources = { configMaps: new Map(), secrets: new Map() };
  for (const n of names.configMaps) out.configMaps.set(n, await fetchData(client, 'configmaps', n, ns));
  for (const n of names.secrets) out.secrets.set(n, await fetchData(client, 'secrets', n, ns));
  return out;
}

const decode = (data: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

/**
 * Materializes the pod's volumes (emptyDir, configMap, secret, hostPath) under the agent's data
 * dir and returns each volume's host path by name. Throws `RUNTIME_CONTAINER_CONFIG` errors for
 * missing sources.
 */
export function preparePodVolumes(pod: Pod, dataDir: string, sources: PodSources): Record<string, string> {
  const dir = podVolumesDir(dataDir, pod.metadata?.uid ?? '');
  const paths: Record<string, string> = {};
  for (const v of pod.spec?.volumes ?? []) {
    const plan = planVolume(v, {
      configMap: (n) => {
        const d = sources.configMaps.get(n);
        return d === undefined ? undefined : { data: d };
      },
      secret: (n) => {
        const d = sources.secrets.get(n);
        return d === undefined ? undefined : { data: d };
      },
    });
    paths[v.name] = writeVolume(plan, dir);
  }
  return paths;
}

/**
 * The runtime's ContainerSpec for one container of a pod: env (ConfigMap/Secret/field refs
 * resolved), command with `$(VAR)` expanded, host ports (reused when given so a restarted
 * container keeps its `PORT`), mounts and limits.
 */
export async function containerSpec(
  pod: Pod,
  container: Container,
  options: {
    attempt: number;
    sources: PodSources;
    volumePaths: Record<string, string>;
    nodeName: string;
    hostIP: string;
    ports?: PortMapping[];
    init: boolean;
  },
): Promise<ContainerSpec> {
  const meta = pod.metadata ?? {};
  const env = resolveEnv(container, {
    pod: {
      name: meta.name ?? '',
      namespace: meta.namespace ?? 'default',
      uid: meta.uid ?? '',
      ...(meta.labels ? { labels: meta.labels } : {}),
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
      nodeName: options.nodeName,
      serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
      podIP: options.hostIP,
      hostIP: options.hostIP,
    },
    configMap: (n) => options.sources.configMaps.get(n),
    secret: (n) => {
      const d = options.sources.secrets.get(n);
      return d === undefined ? undefined : decode(d);
    },
  });
  const ports = options.ports ?? (await mapContainerPorts(container.ports ?? []));
  const spec: ContainerSpec = {
    podUid: meta.uid ?? '',
    podNamespace: meta.namespace ?? 'default',
    podName: meta.name ?? '',
    containerName: container.name,
    attempt: options.attempt,
    command: resolveCommand(container, env),
    env,
    ports,
    mounts: resolveMounts(container.volumeMounts ?? [], options.volumePaths),
    labels: { 'stratus.dev/container-type': options.init ? 'init' : 'app' },
  };
  if (container.image !== undefined) spec.image = container.image;
  if (container.workingDir !== undefined) spec.workingDir = container.workingDir;
  const limits = containerLimits(container);
  if (limits !== undefined) spec.limits = limits;
  return spec;
}
