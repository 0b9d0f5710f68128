import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { Controller, Informer } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import { jsonEqual } from './json-equal.js';

/** An object every namespace gets, and the field of it the controller keeps as wanted. */
export interface NamespaceDefault {
  /** The resource (`serviceaccounts`, `configmaps`). */
  resource: string;
  /** The object's name in every namespace. */
  name: string;
  /** The object wanted in a namespace. */
  build(namespace: string): KubeObject;
  /** The field kept in line (`data`); absent: an existing object is left as it is. */
  field?: string;
}

/**
 * Makes sure every active namespace holds one object, as kube-controller-manager's
 * serviceaccounts controller (the `default` ServiceAccount) and root-ca-cert-publisher (the
 * `kube-root-ca.crt` ConfigMap) do: a namespace that appears, or whose object is deleted or
 * changed, is reconciled; namespaces being terminated are left alone. Only the named object is
 * watched (a field selector), not every object of its kind.
 */
export class NamespaceDefaultsController extends Controller {
  readonly name: string;
  private readonly namespaces: Informer;
  private readonly objects: Informer;

  constructor(
    private readonly ctx: ControllerContext,
    name: string,
    private readonly wanted: NamespaceDefault,
  ) {
    super({ clock: ctx.clock, onError: (key, err) => ctx.onError?.(name, key, err) });
    this.name = name;
    this.namespaces = ctx.informers.for('namespaces');
    this.objects = new Informer(ctx.client, wanted.resource, {
      fieldSelector: `metadata.name=${wanted.name}`,
    });
    const byName = (o: KubeObject): void => this.enqueue(o.metadata.name ?? '');
    const byNamespace = (o: KubeObject): void => this.enqueue(o.metadata.namespace ?? '');
    this.namespaces.addHandlers({ onAdd: byName, onUpdate: (_o, n) => byName(n) });
    this.objects.addHandlers({ onUpdate: (_o, n) => byNamespace(n), onDelete: byNamespace });
  }

  protected informers(): Informer[] {
    return [this.namespaces, this.objects];
  }

  override async close(): Promise<void> {
    await super.close();
    await this.objects.close();
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.getByKey(namespace);
    if (ns === undefined || ns.metadata.deletionTimestamp !== undefined) return;
    const want = this.wanted.build(namespace);
    const current = this.objects.getByKey(`${namespace}/${this.wanted.name}`);
    const field = this.wanted.field;
    try {
      if (current === undefined) {
        await this.ctx.client.create(this.wanted.resource, want, { namespace });
      } else if (field !== undefined && !jsonEqual(current[field], want[field])) {
        await this.ctx.client.update(
          this.wanted.resource,
          { ...current, [field]: want[field] },
          { namespace },
        );
      }
    } catch (err) {
      // Created meanwhile, a newer version on its way, or the namespace is going: the informers requeue.
      if (!(err instanceof StatusError && [403, 404, 409].includes(err.status))) throw err;
    }
  }
}

/** The `default` ServiceAccount of every namespace (kube-controller-manager's serviceaccounts controller). */
export function defaultServiceAccounts(ctx: ControllerContext): NamespaceDefaultsController {
  return new NamespaceDefaultsController(ctx, 'serviceaccount', {
    resource: 'serviceaccounts',
    name: 'default',
    build: (namespace) => ({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default', namespace },
    }),
  });
}

/**
 * The `kube-root-ca.crt` ConfigMap of every namespace, holding the CA pods trust the API server
 * with (kube-controller-manager's root-ca-cert-publisher); it is put back when changed.
 */
export function rootCaPublisher(ctx: ControllerContext, caCert: string): NamespaceDefaultsController {
  return new NamespaceDefaultsController(ctx, 'root-ca-cert-publisher', {
    resource: 'configmaps',
    name: 'kube-root-ca.crt',
    field: 'data',
    build: (namespace) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kube-root-ca.crt',
        namespace,
        annotations: {
          'kubernetes.io/description': 'The CA that signs the API server certificate, for clients in pods.',
        },
      },
      data: { 'ca.crt': caCert },
    }),
  });
}
