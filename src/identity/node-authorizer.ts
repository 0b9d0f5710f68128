import { parseFieldSelector, type FieldRequirement } from '../common/selector.js';
import type { Store, Watcher } from '../store/index.js';
import type { Authorizer, RequestAttributes, RuleResolver, RuleSet, Verdict } from './authorizer.js';
import { NodeGraph, type NodeReachable } from './node-graph.js';
import { nodeIdentity } from './node-identity.js';
import { NODE_RULES } from './node-rules.js';
import { ruleAllows } from './rbac-rules.js';
import type { UserInfo } from './user-info.js';

/** The namespace of node Leases (and of the agents' log-endpoint Secrets). */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** The Secret in `kube-node-lease` holding a node agent's log-endpoint secret. */
export function agentSecretName(node: string): string {
  return `stratus-agent-${node}`;
}

const allow: Verdict = { decision: 'allow', reason: '' };
const noOpinion = (reason = ''): Verdict => ({ decision: 'no-opinion', reason });

function fieldRequirements(selector: string): FieldRequirement[] {
  try {
    return parseFieldSelector(selector);
  } catch {
    return [];
  }
}

/**
 * Decides the requests of node credentials (`system:node:NAME` in `system:nodes`) as Kubernetes'
 * Node authorizer with `AuthorizeNodeWithSelectors` (on by default in 1.32): a node reads its own
 * Node, the pods bound to it (lists and watches only with `spec.nodeName=NAME`), and the
 * Secrets, ConfigMaps, PersistentVolumeClaims and ServiceAccount tokens those pods use; its own
 * Lease; everything else by the static NODE_RULES, whose writes NodeRestriction admission
 * narrows. Anything else has no opinion, so RBAC still decides. Stratus adds the agent's
 * log-endpoint Secret, `kube-node-lease/stratus-agent-NAME`, which the node writes. The graph
 * is fed by a watch on every pod; `start()` resolves once the first list is in.
 */
export class NodeAuthorizer implements Authorizer, RuleResolver {
  readonly graph = new NodeGraph();
  private watcher: Watcher | undefined;
  private closed = false;

  constructor(private readonly store: Store) {}

  /** Lists every pod into the graph and watches for changes. */
  async start(): Promise<void> {
    const list = await this.store.list('pods');
    for (const pod of list.items) this.graph.apply(pod, false);
    if (this.closed) return;
    this.watcher = await this.store.watch('pods', { fromRevision: list.revision }, (e) =>
      this.graph.apply(e.object, e.type === 'DELETED'),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
  }

  /** Nodes' rules are not enumerable (Kubernetes answers the same), so `can-i --list` says incomplete. */
  rulesFor(user: UserInfo): RuleSet {
    if (nodeIdentity(user) === undefined) return { rules: [], incomplete: false, errors: [] };
    return { rules: [], incomplete: true, errors: ['node authorizer does not support user rule resolution'] };
  }

  authorize(a: RequestAttributes): Verdict {
    const node = nodeIdentity(a.user);
    if (node === undefined) return noOpinion();
    if (node === '') return noOpinion(`unknown node for user ${JSON.stringify(a.user.username)}`);
    if (a.resourceRequest) {
      switch (`${a.apiGroup}/${a.resource}`) {
        case '/secrets':
          if (a.namespace === NODE_LEASE_NAMESPACE) return this.agentSecret(node, a);
          return this.readNamespaced(node, 'secret', a);
        case '/configmaps':
          return this.readNamespaced(node, 'configmap', a);
        case '/persistentvolumeclaims':
          if (a.subresource === 'status') return this.statusUpdate(node, a);
          return this.getOnly(node, 'persistentvolumeclaim', a);
        case '/serviceaccounts':
          return this.createToken(node, a);
        case 'coordination.k8s.io/leases':
          return this.lease(node, a);
        case '/nodes':
          return this.nodeObject(node, a);
        case '/pods':
          return this.pod(node, a);
        default:
          break;
      }
    }
    return this.staticRules(a);
  }

  private staticRules(a: RequestAttributes): Verdict {
    return NODE_RULES.some((rule) => ruleAllows(a, rule)) ? allow : noOpinion();
  }

  private related(node: string, kind: NodeReachable, a: RequestAttributes): Verdict {
    if (a.name === '') return noOpinion('No Object name found');
    if (this.graph.reaches(node, kind, a.namespace, a.name)) return allow;
    return noOpinion(`no relationship found between node '${node}' and this object`);
  }

  private readNamespaced(node: string, kind: NodeReachable, a: RequestAttributes): Verdict {
    if (a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch')
      return noOpinion('can only read resources of this type');
    if (a.subresource !== '') return noOpinion('cannot read subresource');
    if (a.namespace === '') return noOpinion('can only read namespaced object of this type');
    return this.related(node, kind, a);
  }

  private getOnly(node: string, kind: NodeReachable, a: RequestAttributes): Verdict {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource !== '') return noOpinion('cannot get subresource');
    return this.related(node, kind, a);
  }

  private statusUpdate(node: string, a: RequestAttributes): Verdict {
    if (a.verb !== 'update' && a.verb !== 'patch') return noOpinion('can only get/update/patch this type');
    return this.related(node, 'persistentvolumeclaim', a);
  }

  private createToken(node: string, a: RequestAttributes): Verdict {
    if (a.verb !== 'create' || a.name === '')
      return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.related(node, 'serviceaccount', a);
  }

  private lease(node: string, a: RequestAttributes): Verdict {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb))
      return noOpinion('can only get, create, update, patch, or delete a node lease');
    if (a.namespace !== NODE_LEASE_NAMESPACE)
      return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    if (a.verb !== 'create' && a.name !== node)
      return noOpinion('can only access node lease with the same name as the requesting node');
    return allow;
  }

  /** The agent's own log-endpoint Secret (NodeRestriction checks the name on create). */
  private agentSecret(node: string, a: RequestAttributes): Verdict {
    if (a.subresource === '' && a.verb === 'create') return allow;
    if (
      a.subresource === '' &&
      ['get', 'update', 'patch'].includes(a.verb) &&
      a.name === agentSecretName(node)
    )
      return allow;
    return this.readNamespaced(node, 'secret', a);
  }

  private nodeObject(node: string, a: RequestAttributes): Verdict {
    if (a.subresource === '') {
      if (a.verb === 'create' || a.verb === 'update' || a.verb === 'patch') return allow;
      if (a.verb === 'get' || a.verb === 'list' || a.verb === 'watch') {
        if (a.name === node) return allow;
        return noOpinion(
          a.name === ''
            ? `node '${node}' cannot read all nodes, only its own Node object`
            : `node '${node}' cannot read '${a.name}', only its own Node object`,
        );
      }
    } else if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
      return allow;
    }
    return noOpinion();
  }

  private pod(node: string, a: RequestAttributes): Verdict {
    if (a.subresource === '') {
      switch (a.verb) {
        case 'get':
          return this.getOnly(node, 'pod', a);
        case 'list':
        case 'watch':
          if (
            fieldRequirements(a.fieldSelector).some(
              (r) => r.path === 'spec.nodeName' && r.operator === 'Equals' && r.value === node,
            )
          )
            return allow;
          if (a.name !== '') return this.related(node, 'pod', a);
          return noOpinion('can only list/watch pods with spec.nodeName field selector');
        case 'create':
        case 'delete':
          return allow;
        default:
          return noOpinion();
      }
    }
    if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) return allow;
    if (a.subresource === 'eviction' && a.verb === 'create') return allow;
    return noOpinion();
  }
}
