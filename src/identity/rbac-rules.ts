import type { PolicyRule, RequestAttributes } from './authorizer.js';

/**
 * RBAC rule evaluation, as Kubernetes' `RuleAllows` and its escalation check (`Covers`). Pure:
 * rules and attributes in, answers out.
 */

/** True when the rule grants the request: verb, group, resource (or `*\/sub`), name, or path. */
export function ruleAllows(a: RequestAttributes, rule: PolicyRule): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(a.verb)) return false;
  if (!a.resourceRequest) return (rule.nonResourceURLs ?? []).some((u) => urlMatches(u, a.path));
  const groups = rule.apiGroups ?? [];
  if (!groups.includes('*') && !groups.includes(a.apiGroup)) return false;
  if (!resourceMatches(rule.resources ?? [], a.resource, a.subresource)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(a.name);
}

/** Whether a rule names the resource as Kubernetes matches it: itself, `*`, `pods/log` or `*` + `/log` for subresources. */
function resourceMatches(resources: readonly string[], resource: string, subresource: string): boolean {
  for (const r of resources) {
    if (r === '*') return true;
    if (subresource === '') {
      if (r === resource) return true;
    } else if (r === `${resource}/${subresource}` || r === `*/${subresource}`) return true;
  }
  return false;
}

/** `/healthz` matches itself; `/apis/*` matches every path under `/apis/`. */
function urlMatches(ruleUrl: string, path: string): boolean {
  if (ruleUrl === '*' || ruleUrl === path) return true;
  return ruleUrl.endsWith('*') && path.startsWith(ruleUrl.replace(/\*+$/, ''));
}

/** Splits a rule into single-verb, single-resource, single-name rules (Kubernetes' breakdownRule). */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        for (const n of names)
          out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [n] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? [])
    for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

const hasAll = (set: readonly string[], wanted: readonly string[]): boolean =>
  wanted.every((w) => set.includes(w));

function resourcesCovered(owner: readonly string[], wanted: readonly string[]): boolean {
  if (owner.includes('*') || hasAll(owner, wanted)) return true;
  return wanted.every((w) => {
    if (owner.includes(w)) return true;
    const slash = w.indexOf('/');
    return slash >= 0 && owner.includes(`*/${w.slice(slash + 1)}`);
  });
}

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = owner.verbs.includes('*') || hasAll(owner.verbs, sub.verbs);
  const groups = (owner.apiGroups ?? []).includes('*') || hasAll(owner.apiGroups ?? [], sub.apiGroups ?? []);
  const resources = resourcesCovered(owner.resources ?? [], sub.resources ?? []);
  const urls = (sub.nonResourceURLs ?? []).every((u) =>
    (owner.nonResourceURLs ?? []).some(
      (o) => o === u || (o.endsWith('*') && u.startsWith(o.replace(/\*+$/, ''))),
    ),
  );
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  const names = ownerNames.length === 0 || (subNames.length > 0 && hasAll(ownerNames, subNames));
  return verbs && groups && resources && urls && names;
}

/**
 * The parts of `wanted` that `held` does not cover, as single-verb rules (empty when covered):
 * Kubernetes' `Covers`, which decides whether a user may grant a role.
 */
export function uncoveredRules(held: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakdown).filter((sub) => !held.some((owner) => ruleCovers(owner, sub)));
}

/**
 * Merges rules that differ only by verb and name one group and one resource (Kubernetes'
 * `CompactRules`), so an escalation message lists `Verbs:["get" "list"]` once.
 */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple =
      (r.resourceNames ?? []).length === 0 &&
      (r.nonResourceURLs ?? []).length === 0 &&
      r.apiGroups?.length === 1 &&
      r.resources?.length === 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = `${r.apiGroups?.[0]}\u0000${r.resources?.[0]}`;
    const existing = simple.get(key);
    if (existing !== undefined) existing.verbs.push(...r.verbs);
    else
      simple.set(key, {
        apiGroups: [...(r.apiGroups ?? [])],
        resources: [...(r.resources ?? [])],
        verbs: [...r.verbs],
      });
  }
  return [...out, ...simple.values()];
}

/** Go's `%q` of a string slice: `["get" "list"]`. */
export function goQuotedList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}

/** A rule as Kubernetes prints it in escalation errors: `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if ((r.apiGroups ?? []).length > 0) parts.push(`APIGroups:${goQuotedList(r.apiGroups ?? [])}`);
  if ((r.resources ?? []).length > 0) parts.push(`Resources:${goQuotedList(r.resources ?? [])}`);
  if ((r.nonResourceURLs ?? []).length > 0)
    parts.push(`NonResourceURLs:${goQuotedList(r.nonResourceURLs ?? [])}`);
  if ((r.resourceNames ?? []).length > 0) parts.push(`ResourceNames:${goQuotedList(r.resourceNames ?? [])}`);
  if (r.verbs.length > 0) parts.push(`Verbs:${goQuotedList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}
