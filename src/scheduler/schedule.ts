import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { matchNodeSelectorTerm } from '../machinery/index.js';
import { podFilters } from './filters.js';
import { addPod, nodeInfo, podRequests, type NodeInfo } from './node-info.js';

/** `binpack` fills the most allocated node first (Nomad's default); `spread` the least allocated. */
export type ScoringStrategy = 'binpack' | 'spread';

/** What the scheduler decides from: every node, and every pod already bound to one. */
export interface Snapshot {
  nodes: Node[];
  boundPods: Pod[];
}

/** One pod's decision: a node and the scores that chose it, or the reasons it fits nowhere. */
export interface Placement {
  pod: Pod;
  node?: string;
  /** Score per feasible node, 0–100, best first. */
  scores: Array<{ node: string; score: number }>;
  /** Per-node reasons when no node fits: node name → reason. */
  rejections: Record<string, string>;
  /** The FailedScheduling message when no node fits. */
  message?: string;
}

function fraction(used: number, total: number): number {
  return total > 0 ? Math.min(1, used / total) : 1;
}

function score(pod: Pod, node: NodeInfo, strategy: ScoringStrategy): number {
  const want = podRequests(pod);
  const { allocatable: a, requested: r } = node;
  const used = (fraction(r.cpu + want.cpu, a.cpu) + fraction(r.memory + want.memory, a.memory)) / 2;
  const fit = strategy === 'binpack' ? used : 1 - used;
  const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (preferred === undefined || preferred.length === 0) return Math.round(fit * 100) / 3;
  const totalWeight = preferred.reduce((sum, p) => sum + p.weight, 0);
  const matched = preferred
    .filter((p) => matchNodeSelectorTerm(p.preference, node.node))
    .reduce((sum, p) => sum + p.weight, 0);
  // Node affinity preferences outweigh packing, as their weights are meant to.
  const affinity = totalWeight > 0 ? matched / totalWeight : 0;
  return Math.round((affinity * 2 + fit) * 100) / 3;
}

/**
 * The FailedScheduling message in kube-scheduler's form:
 * `0/3 nodes are available: 1 node(s) had untolerated taint {a: b}, 2 Insufficient cpu.`
 */
export function unschedulableMessage(nodeCount: number, rejections: Record<string, string>): string {
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  const counts = new Map<string, number>();
  for (const reason of Object.values(rejections)) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const parts = [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([reason, n]) => `${n} ${reason}`);
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}

/** Builds the scheduler's node views from a snapshot, sorted by node name. */
export function buildNodeInfos(snapshot: Snapshot): NodeInfo[] {
  const byNode = new Map<string, Pod[]>();
  for (const p of snapshot.boundPods) {
    const name = p.spec?.nodeName;
    if (!name) continue;
    let list = byNode.get(name);
    if (!list) byNode.set(name, (list = []));
    list.push(p);
  }
  return snapshot.nodes
    .map((n) => nodeInfo(n, byNode.get(n.metadata?.name ?? '') ?? []))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Options of schedule and scheduleOnto. */
export interface ScheduleOptions {
  /** Default `binpack`. */
  strategy?: ScoringStrategy;
  /** Keep only this many best scores per placement (the scheduler loop needs 1); default all. */
  topScores?: number;
}

/**
 * Places pods on nodes: for each pod in order, filters the nodes, scores those that remain and
 * takes the best (ties to the first by name, so decisions are reproducible). Assignments are
 * accounted as the batch proceeds. Pure: the caller commits the bindings with a
 * resourceVersion check and reports the rejections.
 */
export function schedule(pods: Pod[], snapshot: Snapshot, options: ScheduleOptions = {}): Placement[] {
  return scheduleOnto(pods, buildNodeInfos(snapshot), options);
}

/**
 * `schedule` over node views the caller keeps (sorted by name): each assignment is added to
 * its node's view, so a long-lived scheduler updates its views incrementally instead of
 * rebuilding a snapshot per batch. The caller takes a pod back off with `removePod` if its
 * binding fails.
 */
export function scheduleOnto(pods: Pod[], infos: NodeInfo[], options: ScheduleOptions = {}): Placement[] {
  const strategy = options.strategy ?? 'binpack';
  const top = options.topScores ?? Infinity;
  return pods.map((pod) => {
    const rejections: Record<string, string> = {};
    const feasible: NodeInfo[] = [];
    const filters = podFilters(pod, infos);
    for (const info of infos) {
      let reason: string | undefined;
      for (const filter of filters) {
        reason = filter(info);
        if (reason) break;
      }
      if (reason) rejections[info.name] = reason;
      else feasible.push(info);
    }
    if (feasible.length === 0) {
      return { pod, scores: [], rejections, message: unschedulableMessage(infos.length, rejections) };
    }
    let scores: Array<{ info: NodeInfo; node: string; score: number }>;
    if (top === 1) {
      let best = { info: feasible[0]!, node: feasible[0]!.name, score: score(pod, feasible[0]!, strategy) };
      for (let i = 1; i < feasible.length; i++) {
        const s = score(pod, feasible[i]!, strategy);
        // infos are sorted by name, so a strictly higher score is needed to displace the first.
        if (s > best.score) best = { info: feasible[i]!, node: feasible[i]!.name, score: s };
      }
      scores = [best];
    } else {
      scores = feasible
        .map((info) => ({ info, node: info.name, score: score(pod, info, strategy) }))
        .sort((a, b) => b.score - a.score || (a.node < b.node ? -1 : 1))
        .slice(0, top);
    }
    const best = scores[0]!;
    addPod(best.info, { ...pod, spec: { ...pod.spec!, nodeName: best.node } });
    return { pod, node: best.node, scores: scores.map(({ node, score }) => ({ node, score })), rejections };
  });
}
