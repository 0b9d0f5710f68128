/**
 * The `stratus.dev/host-ports` annotation: with the `process` runtime every declared container
 * port gets a host port (the pod's own `hostPort`, or a free one passed as `PORT`), and nothing in
 * the Kubernetes Pod says which; the agent publishes the choice here so that users find it with
 * kubectl (`kubectl get pod X -o jsonpath='{.metadata.annotations.stratus\.dev/host-ports}'`).
 * Pure: shared by the agent, which writes it, and `stratus describe`, which shows it.
 */

/** The annotation's name. */
export const HOST_PORTS_ANNOTATION = 'stratus.dev/host-ports';

/** One container's ports as the runtime mapped them. */
export interface MappedContainerPorts {
  /** The container's name. */
  name: string;
  /** Its ports: the declared name (if any), the container port and the host port given. */
  ports: readonly { name?: string; containerPort: number; hostPort: number }[];
}

/**
 * The key of one port in the annotation: `CONTAINER/PORT-NAME`, or `CONTAINER/CONTAINER-PORT`
 * for an unnamed port (`web/http`, `web/8080`).
 */
export function hostPortKey(container: string, port: { name?: string; containerPort: number }): string {
  return `${container}/${port.name !== undefined && port.name !== '' ? port.name : String(port.containerPort)}`;
}

/**
 * The annotation's value for a pod's containers, in their order: a JSON object from
 * `hostPortKey` to host port, or undefined when no container has a port (nothing to publish).
 */
export function hostPortsValue(containers: readonly MappedContainerPorts[]): string | undefined {
  const map: Record<string, number> = {};
  for (const c of containers) for (const p of c.ports) map[hostPortKey(c.name, p)] = p.hostPort;
  return Object.keys(map).length === 0 ? undefined : JSON.stringify(map);
}

/**
 * Reads the annotation back (from a pod's annotations); an absent or malformed value gives an
 * empty map, since it is informational and a user may have edited it.
 */
export function parseHostPorts(annotations: Record<string, string> | undefined): Record<string, number> {
  const text = annotations?.[HOST_PORTS_ANNOTATION];
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === 'number' && Number.isInteger(v)) out[k] = v;
    }
    return out;
  } catch {
    return {};
  }
}
