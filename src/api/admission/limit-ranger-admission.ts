import type { Pod } from 'kubernetes-types/core/v1.js';
import { forbiddenWrite, type Admission, type WriteAttributes } from '../../identity/index.js';
import { aggregateMessage, applyLimitRangeDefaults, limitRangeErrors } from '../../resources/quota/index.js';
import type { Store } from '../../store/index.js';
import { NamespacedIndex } from './namespaced-index.js';

/** Pod creation, the only write LimitRanger acts on (containers cannot change afterwards). */
function podCreate(w: WriteAttributes): boolean {
  return w.apiGroup === '' && w.resource === 'pods' && w.subresource === '' && w.operation === 'create';
}

/**
 * kube-apiserver's LimitRanger admission: when a pod is created, each LimitRange of its
 * namespace first gives its containers the default requests and limits they lack (before
 * validation, so a default limit below a request the pod sets fails validation, as in
 * Kubernetes), then its bounds are checked and any breach refuses the pod with Kubernetes'
 * message (`pods "p" is forbidden: maximum cpu usage per Container is 500m, but limit is 1`).
 */
export class LimitRangerAdmission implements Admission {
  private readonly limitRanges: NamespacedIndex;

  constructor(store: Store) {
    this.limitRanges = new NamespacedIndex(store, 'limitranges');
  }

  /** Loads the LimitRanges and starts watching them. */
  start(): Promise<void> {
    return this.limitRanges.start();
  }

  mutate(w: WriteAttributes): void {
    if (!podCreate(w)) return;
    for (const lr of this.limitRanges.in(w.namespace)) applyLimitRangeDefaults(w.object as Pod, lr);
  }

  admit(w: WriteAttributes): void {
    if (!podCreate(w)) return;
    const errors = this.limitRanges.in(w.namespace).flatMap((lr) => limitRangeErrors(w.object as Pod, lr));
    if (errors.length > 0) throw forbiddenWrite(w, aggregateMessage(errors));
  }

  /** Ends the watch. */
  close(): Promise<void> {
    return this.limitRanges.close();
  }
}
