import { hostname } from 'node:os';
import type { KubeClient } from '../client/index.js';
import type { Clock } from '../common/clock.js';
import { LeaderElector, randomSuffix, type LeaderElectionTimings } from '../machinery/index.js';

/** The Lease of the controllers (kube-controller-manager's is `kube-controller-manager`). */
export const CONTROLLER_MANAGER_LEASE = 'stratus-controller-manager';
/** The Lease of the scheduler. */
export const SCHEDULER_LEASE = 'stratus-scheduler';
/** Each server renews `stratus-server-NAME`, so that `stratus cluster status` lists the live ones. */
export const SERVER_LEASE_PREFIX = 'stratus-server-';

/** What electComponents needs from the server's composition root. */
export interface ElectionOptions {
  clock: Clock;
  /** A client acting as one of the server's component identities. */
  clientAs: (username: string, context: string) => KubeClient;
  /**
   * Starts the controllers (and the resourcequota controller, and what runs with them) or the
   * scheduler; what it returns is closed, in order, when the lease is lost.
   */
  start: (which: {
    controllers?: boolean;
    scheduler?: boolean;
  }) => Promise<Array<{ close(): Promise<void> }>>;
  /** Whether the scheduler and workload controllers run at all (`controllers` of the server). */
  controllers?: boolean;
  leaderElection?: LeaderElectionTimings;
  serverName?: string;
  onNotice?: (line: string) => void;
}

/**
 * Runs the controllers and the scheduler on the holder of their Lease only, one LeaderElector
 * each (kube-controller-manager and kube-scheduler elect separately, so they may sit on
 * different servers), and renews this server's own Lease. Losing a lease closes what it
 * started; winning it again starts them afresh (their informers relist). Returns at once: the
 * elections go on in the background until `close()` of the returned manager.
 */
export function electComponents(options: ElectionOptions): { close(): Promise<void> } {
  const name = options.serverName ?? hostname().toLowerCase();
  const identity = `${name}_${randomSuffix(8)}`;
  const notice = options.onNotice ?? ((): void => undefined);
  const electors: LeaderElector[] = [];
  const elect = (
    lease: string,
    client: KubeClient,
    which: { controllers?: boolean; scheduler?: boolean },
  ): void => {
    let running: Array<{ close(): Promise<void> }> = [];
    const elector = new LeaderElector({
      client,
      name: lease,
      identity,
      clock: options.clock,
      ...options.leaderElection,
      onStartedLeading: async () => {
        notice(`leader election: ${identity} acquired lease kube-system/${lease}`);
        running = await options.start(which);
      },
      onStoppedLeading: async () => {
        notice(`leader election: ${identity} stopped leading kube-system/${lease}`);
        const stopping = running;
        running = [];
        for (const m of stopping) await m.close();
      },
      onError: (err) => notice(`leader election (${lease}): ${(err as Error).message}`),
    });
    electors.push(elector);
    elector.start();
  };
  const kcm = options.clientAs('system:kube-controller-manager', 'controller-manager');
  elect(CONTROLLER_MANAGER_LEASE, kcm, { controllers: true });
  const scheduler = options.clientAs('system:kube-scheduler', 'scheduler');
  if (options.controllers === true) elect(SCHEDULER_LEASE, scheduler, { scheduler: true });
  // The server's own Lease: only this server ever holds it, under its plain name.
  const presence = new LeaderElector({
    client: kcm,
    name: `${SERVER_LEASE_PREFIX}${name}`,
    identity: name,
    clock: options.clock,
    ...options.leaderElection,
    watch: false,
  });
  electors.push(presence);
  presence.start();
  return {
    close: async () => {
      await Promise.all(electors.map((e) => e.close()));
      await kcm.close();
      await scheduler.close();
    },
  };
}
