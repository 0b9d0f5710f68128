import type { KubeClient } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { Informer, type InformerOptions } from './informer.js';

/**
 * One informer per resource, shared by every controller of a manager (client-go's
 * SharedInformerFactory), so that N controllers watching pods cost one watch and one cache.
 */
export class InformerFactory {
  private readonly client: KubeClient;
  private readonly options: InformerOptions;
  private readonly informers = new Map<string, Informer>();

  constructor(client: KubeClient, options: InformerOptions = {}) {
    this.client = client;
    this.options = options;
  }

  /** The shared informer of a resource (`pods`, `replicasets`, `nodes`, …), created on first use. */
  for<T extends KubeObject = KubeObject>(resource: string): Informer<T> {
    let informer = this.informers.get(resource);
    if (!informer) {
      informer = new Informer(this.client, resource, this.options);
      this.informers.set(resource, informer);
    }
    return informer as unknown as Informer<T>;
  }

  /** Stops every informer. */
  async close(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.close()));
  }
}
