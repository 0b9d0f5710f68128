import type { Clock } from '../common/clock.js';
import { hasCode } from '../common/stratus-error.js';
import type { Store } from '../store/index.js';
import { newUid, rfc3339 } from './object-meta.js';

/**
 * The RuntimeClasses every cluster has: `process`, the runtime every agent can run, and `runc`,
 * which agents that are root with runc installed run (others report RuntimeClassNotFound). Created by
 * the server, as a cluster administrator would, since nodes may only read RuntimeClasses.
 */
export const DEFAULT_RUNTIME_CLASSES = ['process', 'runc'];

/** Creates the default RuntimeClasses that are missing; safe on every start and from several servers. */
export async function ensureDefaultRuntimeClasses(store: Store, clock: Clock): Promise<void> {
  for (const name of DEFAULT_RUNTIME_CLASSES) {
    if ((await store.get('runtimeclasses.node.k8s.io', '', name)) !== undefined) continue;
    try {
      await store.create('runtimeclasses.node.k8s.io', {
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name, uid: newUid(), creationTimestamp: rfc3339(clock.now()), generation: 1 },
        handler: name,
      });
    } catch (err) {
      if (!hasCode(err, 'STORE_ALREADY_EXISTS')) throw err;
    }
  }
}

/**
 * Creates, in the default namespaces, the `default` ServiceAccount and the `kube-root-ca.crt`
 * ConfigMap (`ca.crt`: the CA pods verify the API server with) when missing, so that pods can be
 * created and started the moment the server is up; the serviceaccount and root-ca-cert-publisher
 * controllers take care of every namespace after that (and of these, should one go).
 */
export async function ensureNamespaceDefaults(store: Store, clock: Clock, caCert: string): Promise<void> {
  const create = async (
    resource: string,
    namespace: string,
    object: Record<string, unknown>,
  ): Promise<void> => {
    const name = (object.metadata as { name: string }).name;
    if ((await store.get(resource, namespace, name)) !== undefined) return;
    const metadata = {
      ...(object.metadata as object),
      namespace,
      uid: newUid(),
      creationTimestamp: rfc3339(clock.now()),
    };
    try {
      await store.create(resource, { ...object, metadata });
    } catch (err) {
      if (!hasCode(err, 'STORE_ALREADY_EXISTS')) throw err;
    }
  };
  for (const namespace of DEFAULT_NAMESPACES) {
    await create('serviceaccounts', namespace, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default' },
    });
    await create('configmaps', namespace, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kube-root-ca.crt' },
      data: { 'ca.crt': caCert },
    });
  }
}

/** The namespaces every cluster has from the start. */
export const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Labels a default namespace starts with: `kube-system` runs at the `privileged` Pod Security
 * level (system pods use host namespaces and paths); the others take the cluster default.
 */
const DEFAULT_NAMESPACE_LABELS: Record<string, Record<string, string>> = {
  'kube-system': { 'pod-security.kubernetes.io/enforce': 'privileged' },
};

/**
 * Creates the default namespaces that are missing, as kube-apiserver does at start, and gives
 * `kube-system` its Pod Security label when it has none (an administrator's choice stays). Safe
 * to run on every start and from several servers at once.
 */
export async function ensureDefaultNamespaces(store: Store, clock: Clock): Promise<void> {
  for (const name of DEFAULT_NAMESPACES) {
    const wanted = DEFAULT_NAMESPACE_LABELS[name] ?? {};
    const existing = await store.get('namespaces', '', name);
    if (existing !== undefined) {
      const labels = existing.metadata.labels ?? {};
      if (Object.keys(labels).some((k) => k.startsWith('pod-security.kubernetes.io/'))) continue;
      if (Object.keys(wanted).length === 0) continue;
      await store
        .update('namespaces', {
          ...existing,
          metadata: { ...existing.metadata, labels: { ...labels, ...wanted } },
        })
        .catch((err: unknown) => {
          if (!hasCode(err, 'STORE_CONFLICT')) throw err;
        });
      continue;
    }
    try {
      await store.create('namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          uid: newUid(),
          creationTimestamp: rfc3339(clock.now()),
          generation: 1,
          labels: { 'kubernetes.io/metadata.name': name, ...wanted },
        },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    } catch (err) {
      if (!hasCode(err, 'STORE_ALREADY_EXISTS')) throw err;
    }
  }
}
