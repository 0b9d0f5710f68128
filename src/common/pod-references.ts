/**
 * The API objects a pod needs on its node, as Kubernetes' `VisitPodSecretNames`,
 * `VisitPodConfigmapNames` and the Node authorizer's graph populator read them: Secrets and
 * ConfigMaps of volumes (projected sources included), `env`, `envFrom` and image pull secrets;
 * PersistentVolumeClaims of volumes (an `ephemeral` volume's claim is `<pod>-<volume>`); the
 * ServiceAccount. Pure: used by the Node authorizer and by the agent that fetches them.
 */
export interface PodReferences {
  secrets: Set<string>;
  configMaps: Set<string>;
  persistentVolumeClaims: Set<string>;
  /** '' when the pod names none (no defaulting happened). */
  serviceAccount: string;
}

interface EnvSourceRef {
  name?: string;
}
interface ContainerLike {
  env?: Array<{
    valueFrom?: { secretKeyRef?: EnvSourceRef; configMapKeyRef?: EnvSourceRef } | null;
  }> | null;
  envFrom?: Array<{ secretRef?: EnvSourceRef | null; configMapRef?: EnvSourceRef | null }> | null;
}
interface VolumeLike {
  name?: string;
  secret?: { secretName?: string } | null;
  configMap?: EnvSourceRef | null;
  persistentVolumeClaim?: { claimName?: string } | null;
  ephemeral?: unknown;
  projected?: {
    sources?: Array<{ secret?: EnvSourceRef | null; configMap?: EnvSourceRef | null }> | null;
  } | null;
}
interface PodLike {
  metadata?: { name?: string } | null;
  spec?: {
    volumes?: VolumeLike[] | null;
    containers?: ContainerLike[] | null;
    initContainers?: ContainerLike[] | null;
    ephemeralContainers?: ContainerLike[] | null;
    imagePullSecrets?: EnvSourceRef[] | null;
    serviceAccountName?: string | null;
  } | null;
}

function add(set: Set<string>, name: string | undefined | null): void {
  if (typeof name === 'string' && name !== '') set.add(name);
}

/** Every Secret, ConfigMap, PersistentVolumeClaim and the ServiceAccount a pod refers to. */
export function podReferences(pod: PodLike): PodReferences {
  const out: PodReferences = {
    secrets: new Set(),
    configMaps: new Set(),
    persistentVolumeClaims: new Set(),
    serviceAccount: pod.spec?.serviceAccountName ?? '',
  };
  const spec = pod.spec ?? {};
  for (const s of spec.imagePullSecrets ?? []) add(out.secrets, s.name);
  for (const v of spec.volumes ?? []) {
    add(out.secrets, v.secret?.secretName);
    add(out.configMaps, v.configMap?.name);
    add(out.persistentVolumeClaims, v.persistentVolumeClaim?.claimName);
    if (v.ephemeral !== undefined && v.ephemeral !== null && v.name !== undefined)
      add(out.persistentVolumeClaims, `${pod.metadata?.name ?? ''}-${v.name}`);
    for (const source of v.projected?.sources ?? []) {
      add(out.secrets, source.secret?.name);
      add(out.configMaps, source.configMap?.name);
    }
  }
  const containers = [
    ...(spec.initContainers ?? []),
    ...(spec.containers ?? []),
    ...(spec.ephemeralContainers ?? []),
  ];
  for (const c of containers) {
    for (const e of c.env ?? []) {
      add(out.secrets, e.valueFrom?.secretKeyRef?.name);
      add(out.configMaps, e.valueFrom?.configMapKeyRef?.name);
    }
    for (const f of c.envFrom ?? []) {
      add(out.secrets, f.secretRef?.name);
      add(out.configMaps, f.configMapRef?.name);
    }
  }
  return out;
}
