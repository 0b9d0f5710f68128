/**
 * The HorizontalPodAutoscaler's `behavior`: stabilization windows over past recommendations and
 * rate limits from scaling policies, as upstream's normalizeDesiredReplicasWithBehaviors. Pure:
 * the time of each step is passed in, and the per-HPA history lives in a plain object the
 * controller keeps.
 */

/** One policy: at most `value` pods or percent of change per `periodSeconds`. */
export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

/** The rules of one direction, with every field filled (upstream's defaults where unset). */
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: ScalingPolicy[];
}

interface Timestamped {
  value: number;
  at: number;
}

/** What the controller remembers of one HPA between syncs (upstream keeps it in memory too). */
export interface ScalingHistory {
  recommendations: Timestamped[];
  scaleUps: Timestamped[];
  scaleDowns: Timestamped[];
}

/** A fresh history whose first recommendation is the current size, as upstream's maybeInitScaleDownStabilizationWindow. */
export function newScalingHistory(currentReplicas: number, now: number): ScalingHistory {
  return { recommendations: [{ value: currentReplicas, at: now }], scaleUps: [], scaleDowns: [] };
}

/** A condition to set on the HPA: type, status, reason, message. */
export interface ConditionUpdate {
  type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** The inputs of one normalization. */
export interface NormalizeInput {
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

const changeInPeriod = (events: Timestamped[], periodSeconds: number, now: number): number =>
  events.filter((e) => e.at > now - periodSeconds * 1000).reduce((s, e) => s + e.value, 0);

/** Upstream's calculateScaleUpLimitWithScalingRules. */
export function scaleUpLimit(current: number, h: ScalingHistory, rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start =
      current -
      changeInPeriod(h.scaleUps, p.periodSeconds, now) +
      changeInPeriod(h.scaleDowns, p.periodSeconds, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** Upstream's calculateScaleDownLimitWithBehaviors. */
export function scaleDownLimit(current: number, h: ScalingHistory, rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start =
      current -
      changeInPeriod(h.scaleUps, p.periodSeconds, now) +
      changeInPeriod(h.scaleDowns, p.periodSeconds, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/**
 * Stabilizes `desiredReplicas` over the windows (the lowest recommendation of the scale-up
 * window bounds growth, the highest of the scale-down window bounds shrinking), records it,
 * then limits the change by the policies and min/max. Returns the replicas to set and the
 * AbleToScale and ScalingLimited conditions upstream sets. Mutates `h` (the recommendation).
 */
export function normalizeWithBehavior(
  input: NormalizeInput,
  h: ScalingHistory,
  now: number,
): { replicas: number; conditions: ConditionUpdate[] } {
  const { currentReplicas: current, desiredReplicas: desired } = input;
  const upCutoff = now - input.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = now - input.scaleDown.stabilizationWindowSeconds * 1000;
  let up = desired;
  let down = desired;
  for (const r of h.recommendations) {
    if (r.at > upCutoff) up = Math.min(r.value, up);
    if (r.at > downCutoff) down = Math.max(r.value, down);
  }
  let stabilized = Math.max(current, up);
  stabilized = Math.min(stabilized, down);
  h.recommendations = h.recommendations.filter((r) => r.at >= upCutoff || r.at >= downCutoff);
  h.recommendations.push({ value: desired, at: now });
  const conditions: ConditionUpdate[] = [];
  if (stabilized !== desired) {
    conditions.push(
      desired >= current
        ? {
            type: 'AbleToScale',
            status: 'True',
            reason: 'ScaleUpStabilized',
            message:
              'recent recommendations were lower than current one, applying the lowest recent recommendation',
          }
        : {
            type: 'AbleToScale',
            status: 'True',
            reason: 'ScaleDownStabilized',
            message:
              'recent recommendations were higher than current one, applying the highest recent recommendation',
          },
    );
  } else {
    conditions.push({
      type: 'AbleToScale',
      status: 'True',
      reason: 'ReadyForNewScale',
      message: 'recommended size matches current size',
    });
  }
  const limited = limitByRate({ ...input, desiredReplicas: stabilized }, h, now);
  conditions.push({
    type: 'ScalingLimited',
    status: limited.replicas === stabilized ? 'False' : 'True',
    reason: limited.reason,
    message: limited.message,
  });
  return { replicas: limited.replicas, conditions };
}

/** Upstream's convertDesiredReplicasWithBehaviorRate: the policies' rate, then min/max. */
export function limitByRate(
  input: NormalizeInput,
  h: ScalingHistory,
  now: number,
): { replicas: number; reason: string; message: string } {
  const { currentReplicas: current, desiredReplicas: desired } = input;
  if (desired > current) {
    const limit = Math.max(scaleUpLimit(current, h, input.scaleUp, now), current);
    const byRate = input.maxReplicas > limit;
    const allowed = byRate ? limit : input.maxReplicas;
    if (desired > allowed) {
      return byRate
        ? {
            replicas: allowed,
            reason: 'ScaleUpLimit',
            message: 'the desired replica count is increasing faster than the maximum scale rate',
          }
        : {
            replicas: allowed,
            reason: 'TooManyReplicas',
            message: 'the desired replica count is more than the maximum replica count',
          };
    }
  } else if (desired < current) {
    const limit = Math.min(scaleDownLimit(current, h, input.scaleDown, now), current);
    const byRate = input.minReplicas < limit;
    const allowed = byRate ? limit : input.minReplicas;
    if (desired < allowed) {
      return byRate
        ? {
            replicas: allowed,
            reason: 'ScaleDownLimit',
            message: 'the desired replica count is decreasing faster than the maximum scale rate',
          }
        : {
            replicas: allowed,
            reason: 'TooFewReplicas',
            message: 'the desired replica count is less than the minimum replica count',
          };
    }
  }
  return {
    replicas: desired,
    reason: 'DesiredWithinRange',
    message: 'the desired count is within the acceptable range',
  };
}

/** Records a rescale for the rate limits, dropping events older than the direction's longest policy period. */
export function recordScale(
  h: ScalingHistory,
  rules: { scaleUp: ScalingRules; scaleDown: ScalingRules },
  from: number,
  to: number,
  now: number,
): void {
  const up = to > from;
  const r = up ? rules.scaleUp : rules.scaleDown;
  const longest = Math.max(0, ...r.policies.map((p) => p.periodSeconds));
  const kept = (up ? h.scaleUps : h.scaleDowns).filter((e) => e.at > now - longest * 1000);
  kept.push({ value: Math.abs(to - from), at: now });
  if (up) h.scaleUps = kept;
  else h.scaleDowns = kept;
}
