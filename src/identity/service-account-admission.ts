import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../common/kube-object.js';
import type { Store } from '../store/index.js';
import { forbiddenWrite, type Admission, type WriteAttributes } from './admission.js';

/** Where Kubernetes mounts a pod's ServiceAccount credentials. */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The ConfigMap, in every namespace, that carries the cluster's CA (`ca.crt`). */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
/** Projected tokens ask for 3607 s, as Kubernetes' admission writes it. */
const TOKEN_SECONDS = 3607;

interface Container {
  name: string;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  volumes?: Array<Record<string, unknown> & { name: string }>;
  containers?: Container[];
  initContainers?: Container[];
  imagePullSecrets?: Array<{ name: string }>;
}

function suffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The projected volume Kubernetes gives a pod: its token, the cluster CA and its namespace. */
function apiAccessVolume(name: string): Record<string, unknown> & { name: string } {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
    },
  };
}

/**
 * Kubernetes' ServiceAccount admission, on pod creation: names the `default` ServiceAccount when
 * the pod names none, refuses a pod whose ServiceAccount does not exist (as Kubernetes:
 * `error looking up service account NS/NAME: serviceaccount "NAME" not found`), copies the
 * account's image pull secrets to a pod without any, and, unless the pod or the account sets
 * `automountServiceAccountToken: false`, adds the `kube-api-access-XXXXX` projected volume
 * (a token bound to the pod, `ca.crt`, `namespace`) and mounts it read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount in every container that mounts nothing there.
 * Mutates the pod about to be stored.
 */
export class ServiceAccountAdmission implements Admission {
  constructor(private readonly store: Pick<Store, 'get'>) {}

  async admit(w: WriteAttributes): Promise<void> {
    if (w.apiGroup !== '' || w.resource !== 'pods' || w.operation !== 'create' || w.subresource !== '')
      return;
    const spec = (w.object.spec ?? {}) as PodSpec;
    const name = spec.serviceAccountName || spec.serviceAccount || 'default';
    spec.serviceAccountName = name;
    spec.serviceAccount = name;
    const sa = await this.store.get('serviceaccounts', w.namespace, name);
    if (sa === undefined)
      throw forbiddenWrite(
        w,
        `error looking up service account ${w.namespace}/${name}: serviceaccount "${name}" not found`,
      );
    const pullSecrets = (sa.imagePullSecrets ?? []) as Array<{ name: string }>;
    if ((spec.imagePullSecrets ?? []).length === 0 && pullSecrets.length > 0)
      spec.imagePullSecrets = pullSecrets.map((s) => ({ name: s.name }));
    if (!automount(spec, sa)) return;
    const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    const needing = containers.filter(
      (c) => !(c.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH),
    );
    if (needing.length === 0) return;
    const taken = new Set((spec.volumes ?? []).map((v) => v.name));
    let volume = `kube-api-access-${suffix()}`;
    while (taken.has(volume)) volume = `kube-api-access-${suffix()}`;
    spec.volumes = [...(spec.volumes ?? []), apiAccessVolume(volume)];
    for (const c of needing)
      c.volumeMounts = [
        ...(c.volumeMounts ?? []),
        { name: volume, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH },
      ];
    w.object.spec = spec;
  }
}

function automount(spec: PodSpec, sa: KubeObject): boolean {
  if (spec.automountServiceAccountToken !== undefined) return spec.automountServiceAccountToken;
  return (sa.automountServiceAccountToken as boolean | undefined) ?? true;
}
