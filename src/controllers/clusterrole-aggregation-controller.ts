import { StatusError } from '../client/index.js';
import type { KubeObject } from '../common/kube-object.js';
import { matchLabelSelector, type LabelSelector } from '../common/selector.js';
import { Controller, type Informer } from '../machinery/index.js';
import type { ControllerContext } from './controller-context.js';
import { jsonEqual } from './json-equal.js';

interface AggregationRule {
  clusterRoleSelectors?: LabelSelector[];
}

/**
 * The rules of an aggregated ClusterRole: those of every other ClusterRole its selectors match,
 * selector by selector, each selector's roles in name order, a rule already taken not repeated
 * (kube-controller-manager's clusterrole-aggregation controller). Pure.
 */
export function aggregatedRules(role: KubeObject, all: readonly KubeObject[]): unknown[] {
  const rules: unknown[] = [];
  const selectors = (role.aggregationRule as AggregationRule | undefined)?.clusterRoleSelectors ?? [];
  for (const selector of selectors) {
    const matching = all
      .filter(
        (o) => o.metadata.name !== role.metadata.name && matchLabelSelector(selector, o.metadata.labels),
      )
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    for (const source of matching) {
      for (const rule of (source.rules ?? []) as unknown[]) {
        if (!rules.some((r) => jsonEqual(r, rule))) rules.push(rule);
      }
    }
  }
  return rules;
}

/**
 * Keeps the rules of every ClusterRole with an `aggregationRule` equal to the union of the
 * roles it selects (`admin`, `edit`, `view` gather the `aggregate-to-*` roles; a new labelled
 * role extends them). Any ClusterRole change requeues every aggregated role, since it may
 * start or stop matching one; a chain (view → edit → admin) settles in as many passes.
 */
export class ClusterRoleAggregationController extends Controller {
  readonly name = 'clusterrole-aggregation';
  private readonly ctx: ControllerContext;
  private readonly roles: Informer;

  constructor(ctx: ControllerContext) {
    super({ clock: ctx.clock, onError: (key, err) => ctx.onError?.('clusterrole-aggregation', key, err) });
    this.ctx = ctx;
    this.roles = ctx.informers.for('clusterroles');
    const requeue = (): void => {
      for (const r of this.roles.list())
        if (r.aggregationRule !== undefined) this.enqueue(r.metadata.name ?? '');
    };
    this.roles.addHandlers({ onAdd: requeue, onUpdate: requeue, onDelete: requeue });
  }

  protected informers(): Informer[] {
    return [this.roles];
  }

  async reconcile(key: string): Promise<void> {
    const role = this.roles.getByKey(key);
    if (role === undefined || role.aggregationRule === undefined) return;
    const rules = aggregatedRules(role, this.roles.list());
    if (jsonEqual(rules, role.rules ?? [])) return;
    try {
      await this.ctx.client.patch('clusterroles', key, {
        metadata: { resourceVersion: role.metadata.resourceVersion },
        rules,
      });
    } catch (err) {
      // A newer version is on its way through the informer, which requeues the role.
      if (!(err instanceof StatusError && (err.status === 409 || err.status === 404))) throw err;
    }
  }
}
