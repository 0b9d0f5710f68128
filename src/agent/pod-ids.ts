import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The first host id of the blocks pods get: past systemd's container range (0x70000000). */
export const POD_ID_BASE = 0x7000_0000;
/** Ids per pod: 65,536, as Kubernetes gives each user-namespaced pod. */
export const POD_ID_BLOCK = 0x1_0000;
const BLOCKS = 0x1000;

/**
 * Host uid and gid blocks for the pods of one node, as the kubelet's user-namespace manager
 * gives each pod its own 65,536 ids: the process runtime runs a pod's container with uid
 * `block + runAsUser` and gid `block + runAsGroup` (0 when unset), never a real user of the
 * host nor another pod's. A pod's block is kept in `pods/<uid>/ids` under the agent's data
 * directory, so a restarted agent gives adopted pods the same ids; the pod's folder going
 * (the pod is removed) frees it.
 */
export class PodIds {
  private readonly inUse = new Map<string, number>();

  constructor(private readonly podsDir: string) {
    if (!existsSync(podsDir)) return;
    for (const uid of readdirSync(podsDir)) {
      let text = '';
      try {
        text = readFileSync(join(podsDir, uid, 'ids'), 'utf8');
      } catch {
        continue;
      }
      const block = Number(text.trim());
      if (Number.isInteger(block) && block >= POD_ID_BASE) this.inUse.set(uid, block);
    }
  }

  /** The pod's block (its first id), allocating and recording one on first use. */
  blockOf(podUid: string): number {
    const known = this.inUse.get(podUid);
    if (known !== undefined && existsSync(this.file(podUid))) return known;
    this.forgetGone();
    const taken = new Set(this.inUse.values());
    for (let i = 0; i < BLOCKS; i++) {
      const block = POD_ID_BASE + i * POD_ID_BLOCK;
      if (taken.has(block)) continue;
      mkdirSync(dirname(this.file(podUid)), { recursive: true, mode: 0o750 });
      writeFileSync(this.file(podUid), `${block}\n`, { mode: 0o600 });
      this.inUse.set(podUid, block);
      return block;
    }
    throw new RangeError(`no free id block for pod ${podUid}: ${BLOCKS} pods hold them all`);
  }

  private file(podUid: string): string {
    return join(this.podsDir, podUid, 'ids');
  }

  /** Drops blocks whose pod folder is gone (the pod was removed). */
  private forgetGone(): void {
    for (const uid of [...this.inUse.keys()]) {
      try {
        statSync(this.file(uid));
      } catch {
        this.inUse.delete(uid);
      }
    }
  }
}
