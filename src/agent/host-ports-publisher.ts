import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/index.js';
import { StatusError } from '../client/index.js';
import type { PortMapping } from '../runtime/index.js';
import { HOST_PORTS_ANNOTATION, hostPortsValue } from '../machinery/index.js';

/**
 * Writes the host ports the runtime gave a pod's containers (`portsOf(name)`, undefined for a
 * container not started yet) into its `stratus.dev/host-ports` annotation when they differ from
 * what it says. A metadata merge patch, since the status subresource keeps metadata. Returns the
 * updated pod, or undefined when nothing was written (no ports, unchanged, or the pod is gone).
 */
export async function publishHostPorts(
  client: KubeClient,
  pod: Pod,
  portsOf: (container: string) => readonly PortMapping[] | undefined,
): Promise<Pod | undefined> {
  const spec = pod.spec;
  const all = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  const value = hostPortsValue(all.map((c) => ({ name: c.name, ports: portsOf(c.name) ?? [] })));
  const meta = pod.metadata ?? {};
  if (value === undefined || meta.annotations?.[HOST_PORTS_ANNOTATION] === value) return undefined;
  try {
    const updated = await client.patch(
      'pods',
      meta.name ?? '',
      { metadata: { annotations: { [HOST_PORTS_ANNOTATION]: value } } },
      { namespace: meta.namespace ?? 'default' },
    );
    return updated.metadata.uid === meta.uid ? (updated as Pod) : undefined;
  } catch (err) {
    if (err instanceof StatusError && (err.status === 404 || err.status === 409)) return undefined;
    throw err;
  }
}
