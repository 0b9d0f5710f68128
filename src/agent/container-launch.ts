import { dirname, join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/index.js';
import { StatusError } from '../client/index.js';
import { podReferences } from '../common/pod-references.js';
import {
  mapContainerPorts,
  planVolume,
  podVolumesDir,
  resolveCommand,
  resolveEnv,
  resolveMounts,
  containerLimits,
  expandVars,
  ownFolder,
  writeVolume,
  type ContainerSecurity,
  type ContainerSpec,
  type PodFields,
  type PodSandbox,
  type PortMapping,
  type ProcessIdentity,
  type TokenSource,
} from '../runtime/index.js';

/** ConfigMaps and Secrets a pod refers to, fetched once per container start. */
export interface PodSources {
  configMaps: Map<string, Record<string, string> | undefined>;
  secrets: Map<string, Record<string, string> | undefined>;
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
  const names = podReferences(pod);
  const out: PodSources = { configMaps: new Map(), secrets: new Map() };
  for (const n of names.configMaps) out.configMaps.set(n, await fetchData(client, 'configmaps', n, ns));
  for (const n of names.secrets) out.secrets.set(n, await fetchData(client, 'secrets', n, ns));
  return out;
}

const decode = (data: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

/** Where a pod runs, for its field references: the node, and the address it gets. */
export interface PodPlace {
  nodeName: string;
  hostIP: string;
  /** The pod's own address when it has a network sandbox; default the node's. */
  podIP?: string;
}

/** The pod's fields as `fieldRef` and downward API files read them. */
export function podFields(pod: Pod, place: PodPlace): PodFields {
  const meta = pod.metadata ?? {};
  return {
    name: meta.name ?? '',
    namespace: meta.namespace ?? 'default',
    uid: meta.uid ?? '',
    ...(meta.labels ? { labels: meta.labels } : {}),
    ...(meta.annotations ? { annotations: meta.annotations } : {}),
    nodeName: place.nodeName,
    serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
    podIP: place.podIP ?? place.hostIP,
    hostIP: place.hostIP,
  };
}

/**
 * Materializes the pod's volumes (emptyDir, configMap, secret, downwardAPI, projected, hostPath)
 * under the agent's data dir and returns each volume's host path by name. Throws
 * `RUNTIME_CONTAINER_CONFIG` errors for missing sources.
 */
export function preparePodVolumes(
  pod: Pod,
  dataDir: string,
  sources: PodSources,
  projection: { place: PodPlace; token: (source: TokenSource) => string | undefined; gid?: number },
): Record<string, string> {
  const dir = podVolumesDir(dataDir, pod.metadata?.uid ?? '');
  const gid = projection.gid;
  // The pod's folder: root and the pod's group may enter, others not; HOME is the group's.
  ownFolder(dirname(dir), 0o750, gid);
  ownFolder(dir, 0o750, gid);
  ownFolder(join(dirname(dir), 'home'), 0o2770, gid);
  const paths: Record<string, string> = {};
  for (const v of pod.spec?.volumes ?? []) {
    const plan = planVolume(v, {
      pod: podFields(pod, projection.place),
      serviceAccountToken: projection.token,
      configMap: (n) => {
        const d = sources.configMaps.get(n);
        return d === undefined ? undefined : { data: d };
      },
      secret: (n) => {
        const d = sources.secrets.get(n);
        return d === undefined ? undefined : { data: d };
      },
    });
    paths[v.name] = writeVolume(plan, dir, gid === undefined ? {} : { gid });
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
  options: PodPlace & {
    attempt: number;
    sources: PodSources;
    volumePaths: Record<string, string>;
    ports?: PortMapping[];
    init: boolean;
    /** Where pods reach the API server: `KUBERNETES_SERVICE_HOST` and `_PORT`, as the kubelet sets them. */
    apiServer?: { host: string; port: string };
    /** Who the container runs as (the agent is root); its HOME and default working dir are the pod's `home`. */
    identity?: { process: ProcessIdentity | undefined; home: string };
    /** The Services' variables (`WEB_SERVICE_HOST`, …; `service-env.ts`); the container's own env wins. */
    serviceEnv?: Record<string, string>;
    /** The pod's network sandbox, for runtimes that need one. */
    sandbox?: PodSandbox;
    /** The runtime handler the pod names (`runtimeClassName`); absent: the node's default. */
    runtimeClassName?: string;
  },
): Promise<ContainerSpec> {
  const meta = pod.metadata ?? {};
  const resolved = resolveEnv(container, {
    pod: podFields(pod, options),
    configMap: (n) => options.sources.configMaps.get(n),
    secret: (n) => {
      const d = options.sources.secrets.get(n);
      return d === undefined ? undefined : decode(d);
    },
  });
  const asPodUser = options.identity?.process !== undefined;
  const env = {
    ...options.serviceEnv,
    ...(asPodUser ? { HOME: options.identity?.home ?? '/' } : {}),
    ...(options.apiServer !== undefined
      ? { KUBERNETES_SERVICE_HOST: options.apiServer.host, KUBERNETES_SERVICE_PORT: options.apiServer.port }
      : {}),
    ...resolved,
  };
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
  const parts: { command?: string[]; args?: string[] } = {};
  if (container.command !== undefined) parts.command = container.command.map((a) => expandVars(a, env));
  if (container.args !== undefined) parts.args = container.args.map((a) => expandVars(a, env));
  spec.commandParts = parts;
  const security = containerSecurity(pod, container);
  if (Object.keys(security).length > 0) spec.security = security;
  if (options.runtimeClassName !== undefined) spec.runtimeClassName = options.runtimeClassName;
  if (container.image !== undefined) spec.image = container.image;
  if (container.workingDir !== undefined) spec.workingDir = container.workingDir;
  else if (asPodUser) spec.workingDir = options.identity?.home ?? '/';
  if (options.identity?.process !== undefined) spec.identity = options.identity.process;
  const limits = containerLimits(container);
  if (limits !== undefined) spec.limits = limits;
  if (options.sandbox !== undefined) spec.sandbox = options.sandbox;
  if (container.stdin === true) spec.stdin = { once: container.stdinOnce === true };
  return spec;
}

/**
 * A container's securityContext merged over its pod's, as Kubernetes merges them: the container's
 * field wins; `supplementalGroups` (and `fsGroup`) exist only at the pod level.
 */
export function containerSecurity(pod: Pod, container: Container): ContainerSecurity {
  const podCtx = pod.spec?.securityContext ?? {};
  const own = container.securityContext ?? {};
  const out: ContainerSecurity = {};
  const runAsUser = own.runAsUser ?? podCtx.runAsUser;
  const runAsGroup = own.runAsGroup ?? podCtx.runAsGroup;
  const runAsNonRoot = own.runAsNonRoot ?? podCtx.runAsNonRoot;
  if (own.privileged !== undefined) out.privileged = own.privileged;
  if (own.readOnlyRootFilesystem !== undefined) out.readOnlyRootFilesystem = own.readOnlyRootFilesystem;
  if (own.allowPrivilegeEscalation !== undefined) out.allowPrivilegeEscalation = own.allowPrivilegeEscalation;
  if (runAsUser !== undefined) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined) out.runAsGroup = runAsGroup;
  if (runAsNonRoot !== undefined) out.runAsNonRoot = runAsNonRoot;
  const groups = [
    ...(podCtx.supplementalGroups ?? []),
    ...(podCtx.fsGroup !== undefined ? [podCtx.fsGroup] : []),
  ];
  if (groups.length > 0) out.supplementalGroups = groups;
  const seccomp = own.seccompProfile ?? podCtx.seccompProfile;
  if (seccomp !== undefined)
    out.seccompProfile = {
      type: seccomp.type,
      ...(seccomp.localhostProfile !== undefined ? { localhostProfile: seccomp.localhostProfile } : {}),
    };
  if (own.capabilities !== undefined) {
    out.capabilities = {
      ...(own.capabilities.add !== undefined ? { add: own.capabilities.add } : {}),
      ...(own.capabilities.drop !== undefined ? { drop: own.capabilities.drop } : {}),
    };
  }
  return out;
}
