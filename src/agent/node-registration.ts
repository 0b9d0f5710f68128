import type { KubeClient } from '../client/index.js';
import { StatusError } from '../client/index.js';
import type { Clock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';
import { buildLease, buildNode, type NodeCapacity } from './node-object.js';

const microTime = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** Creates the object, or does nothing when it exists. */
export async function ensureObject(client: KubeClient, resource: string, object: KubeObject): Promise<void> {
  try {
    await client.create(resource, object);
  } catch (err) {
    if (!(err instanceof StatusError && err.status === 409)) throw err;
  }
}

/** Creates the object, or replaces the existing one keeping its other metadata and labels. */
export async function upsertObject(
  client: KubeClient,
  resource: string,
  object: KubeObject,
): Promise<KubeObject> {
  try {
    return await client.create(resource, object);
  } catch (err) {
    if (!(err instanceof StatusError && err.status === 409)) throw err;
    const ns = object.metadata.namespace;
    const current = await client.get(resource, object.metadata.name ?? '', ns ? { namespace: ns } : {});
    return client.update(resource, {
      ...current,
      ...object,
      metadata: {
        ...current.metadata,
        ...object.metadata,
        labels: { ...current.metadata.labels, ...object.metadata.labels },
      },
    });
  }
}

/**
 * The node's presence in the API: registers (or re-registers) the Node with its capacity and
 * log endpoint, and `heartbeat()` renews the Lease in `kube-node-lease` and refreshes the Node's
 * conditions (heartbeat times move, transition times stay at registration).
 */
export class NodeRegistration {
  private readonly since: string;
  /** Whether the disk was under pressure at the last look, and since when that holds. */
  private pressure = { on: false, since: '' };

  /** `diskPressure` says why the node's disk is under pressure, when it is (the condition's message). */
  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
    private readonly node: NodeCapacity & {
      name: string;
      dataDir: string;
      agentPort: number;
      address?: string;
    },
    private readonly diskPressure: () => string | undefined = () => undefined,
  ) {
    this.since = iso(clock.now());
    this.pressure.since = this.since;
  }

  private nodeObject(): KubeObject {
    const now = iso(this.clock.now());
    const message = this.diskPressure();
    if ((message !== undefined) !== this.pressure.on)
      this.pressure = { on: message !== undefined, since: now };
    return buildNode({
      ...this.node,
      now,
      transitionTime: this.since,
      diskPressure: { message, since: this.pressure.since },
    });
  }

  /**
   * Creates or updates the Node (an existing one keeps its spec: taints and cordon belong to the
   * cluster, and NodeRestriction refuses a node that changes its own taints), then writes its
   * status.
   */
  async register(): Promise<void> {
    const node = this.nodeObject();
    let stored: KubeObject;
    try {
      stored = await this.client.create('nodes', { ...node, status: undefined });
    } catch (err) {
      if (!(err instanceof StatusError && err.status === 409)) throw err;
      const current = await this.client.get('nodes', this.node.name);
      stored = await this.client.update('nodes', {
        ...current,
        metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...node.metadata.labels } },
      });
    }
    await this.client.patch(
      'nodes',
      stored.metadata.name ?? '',
      { status: node['status'] },
      { subresource: 'status' },
    );
  }

  /** Renews the Lease (creating it when missing) and refreshes the Node's status. */
  async heartbeat(): Promise<void> {
    const lease = buildLease(this.node.name, microTime(this.clock.now()));
    try {
      await this.client.patch(
        'leases',
        this.node.name,
        { spec: lease['spec'] },
        { namespace: 'kube-node-lease' },
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.status === 404)) throw err;
      await ensureObject(this.client, 'leases', lease);
    }
    const status = this.nodeObject()['status'];
    await this.client.patch('nodes', this.node.name, { status }, { subresource: 'status' });
  }
}
