import type { KubeClient } from '../client/index.js';
import type { Clock } from '../common/clock.js';
import type { EventRecorder } from '../client/index.js';
import type { InformerFactory } from '../machinery/index.js';

/** What a controller is built from: the client, the shared informers, the clock, Events. */
export interface ControllerContext {
  client: KubeClient;
  informers: InformerFactory;
  clock: Clock;
  /** An Event recorder whose `source.component` is `component`. */
  recorder(component: string): EventRecorder;
  /** Reports errors a controller recovered from (reconcile failures); default: ignored. */
  onError?: (controller: string, key: string, err: unknown) => void;
  /** The scheduler's settings, and where it reports its attempts (`scheduler_schedule_attempts_total`). */
  scheduler: {
    strategy: 'binpack' | 'spread';
    onAttempt?: (result: 'scheduled' | 'unschedulable' | 'error') => void;
  };
}
