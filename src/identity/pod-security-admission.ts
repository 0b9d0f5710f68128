import type { KubeObject } from '../common/kube-object.js';
import type { Store } from '../store/index.js';
import { forbiddenWrite, type Admission, type WriteAttributes } from './admission.js';
import { IdentityError } from './errors.js';
import {
  podSecurityViolations,
  violationText,
  type PodSecurityLevel,
  type PodSpecLike,
} from './pod-security-checks.js';

/** The namespace labels Pod Security admission reads: `pod-security.kubernetes.io/MODE[-version]`. */
export const POD_SECURITY_LABEL = 'pod-security.kubernetes.io/';
const MODES = ['enforce', 'audit', 'warn'] as const;
type Mode = (typeof MODES)[number];
const LEVELS: readonly PodSecurityLevel[] = ['privileged', 'baseline', 'restricted'];

/** A level at a version of the standards (`baseline:latest`). */
interface LevelVersion {
  level: PodSecurityLevel;
  version: string;
}
type Policy = Record<Mode, LevelVersion>;

/**
 * What namespaces without labels get: `baseline` for every mode, as Stratus' secure default
 * (Kubernetes' own default is `privileged`, which would let anyone who may create pods run them
 * as the host's root on the process runtime). `kube-system` is labelled `privileged` at bootstrap.
 */
export const DEFAULT_POD_SECURITY_LEVEL: PodSecurityLevel = 'baseline';

/** The policy of a namespace's labels, and what is wrong with them (an invalid level counts as restricted). */
export function namespacePolicy(labels: Record<string, string>): { policy: Policy; errors: string[] } {
  const errors: string[] = [];
  const policy = {} as Policy;
  for (const mode of MODES) {
    const key = `${POD_SECURITY_LABEL}${mode}`;
    const raw = labels[key];
    let level: PodSecurityLevel = DEFAULT_POD_SECURITY_LEVEL;
    if (raw !== undefined) {
      if (LEVELS.includes(raw as PodSecurityLevel)) level = raw as PodSecurityLevel;
      else {
        level = 'restricted';
        errors.push(
          `metadata.labels[${key}]: Invalid value: ${JSON.stringify(raw)}: must be one of ${LEVELS.join(', ')}`,
        );
      }
    }
    const versionKey = `${key}-version`;
    let version = labels[versionKey] ?? 'latest';
    if (version !== 'latest' && !/^v1\.(0|[1-9]\d*)$/.test(version)) {
      errors.push(
        `metadata.labels[${versionKey}]: Invalid value: ${JSON.stringify(version)}: must be "latest" or "v1.x"`,
      );
      version = 'latest';
    }
    policy[mode] = { level, version };
  }
  return { policy, errors };
}

const show = (lv: LevelVersion): string => `${lv.level}:${lv.version}`;
const rank = (level: PodSecurityLevel): number => LEVELS.indexOf(level);

/** Resources whose objects carry a pod template: PodSecurity only warns about them. */
const POD_TEMPLATES: Record<
  string,
  (o: KubeObject) => { metadata?: { annotations?: Record<string, string> }; spec?: PodSpecLike } | undefined
> = {
  'apps/deployments': (o) => (o.spec as { template?: never } | undefined)?.template,
  'apps/replicasets': (o) => (o.spec as { template?: never } | undefined)?.template,
  'apps/daemonsets': (o) => (o.spec as { template?: never } | undefined)?.template,
  'apps/statefulsets': (o) => (o.spec as { template?: never } | undefined)?.template,
  'batch/jobs': (o) => (o.spec as { template?: never } | undefined)?.template,
  'batch/cronjobs': (o) =>
    (o.spec as { jobTemplate?: { spec?: { template?: never } } } | undefined)?.jobTemplate?.spec?.template,
};

const imagesOf = (o: KubeObject | undefined): string =>
  JSON.stringify(
    [
      ...((o?.spec as PodSpecLike | undefined)?.initContainers ?? []),
      ...((o?.spec as PodSpecLike | undefined)?.containers ?? []),
    ].map((c) => (c as { image?: string }).image),
  );

/**
 * Kubernetes' PodSecurity admission: namespaces choose a level per mode with the labels
 * `pod-security.kubernetes.io/enforce|warn|audit` (`privileged`, `baseline`, `restricted`) and
 * `…-version`; a pod that breaks the `enforce` level is refused (`pods "x" is forbidden:
 * violates PodSecurity "baseline:latest": hostPath volumes (volume "root")`), one that breaks
 * `warn` is admitted with a warning, and workloads with pod templates only get warnings.
 * Invalid labels are refused on namespaces (422); tightening `enforce` warns about the pods
 * already there. Namespaces without labels get DEFAULT_POD_SECURITY_LEVEL. The `audit` level is
 * validated and kept for the audit log.
 */
export class PodSecurityAdmission implements Admission {
  constructor(private readonly store: Pick<Store, 'get' | 'list'>) {}

  async admit(w: WriteAttributes): Promise<void> {
    if (w.operation === 'delete' || w.subresource !== '') return;
    if (w.apiGroup === '' && w.resource === 'namespaces') return this.namespace(w);
    if (w.apiGroup === '' && w.resource === 'pods') {
      if (w.operation === 'update' && imagesOf(w.object) === imagesOf(w.old)) return;
      return this.pod(w);
    }
    const template = POD_TEMPLATES[`${w.apiGroup}/${w.resource}`]?.(w.object);
    if (template?.spec !== undefined)
      await this.template(w, template.spec, template.metadata?.annotations ?? {});
  }

  private async policyFor(namespace: string): Promise<Policy> {
    const ns = await this.store.get('namespaces', '', namespace);
    return namespacePolicy(ns?.metadata.labels ?? {}).policy;
  }

  private async pod(w: WriteAttributes): Promise<void> {
    const policy = await this.policyFor(w.namespace);
    const spec = (w.object.spec ?? {}) as PodSpecLike;
    const annotations = w.object.metadata.annotations ?? {};
    const denied = podSecurityViolations(policy.enforce.level, spec, annotations);
    if (denied.length > 0)
      throw forbiddenWrite(
        w,
        `violates PodSecurity ${JSON.stringify(show(policy.enforce))}: ${violationText(denied)}`,
      );
    this.warn(w, policy, spec, annotations);
  }

  private async template(
    w: WriteAttributes,
    spec: PodSpecLike,
    annotations: Record<string, string>,
  ): Promise<void> {
    this.warn(w, await this.policyFor(w.namespace), spec, annotations);
  }

  private warn(
    w: WriteAttributes,
    policy: Policy,
    spec: PodSpecLike,
    annotations: Record<string, string>,
  ): void {
    const violations = podSecurityViolations(policy.warn.level, spec, annotations);
    if (violations.length > 0)
      w.warnings?.push(
        `would violate PodSecurity ${JSON.stringify(show(policy.warn))}: ${violationText(violations)}`,
      );
  }

  private async namespace(w: WriteAttributes): Promise<void> {
    const now = namespacePolicy(w.object.metadata.labels ?? {});
    const before = w.old === undefined ? undefined : namespacePolicy(w.old.metadata.labels ?? {});
    if (now.errors.length > 0 && (before === undefined || now.errors.join() !== before.errors.join()))
      throw new IdentityError('IDENTITY_INVALID', 422, now.errors.join(', '));
    if (before === undefined) return;
    const enforce = now.policy.enforce;
    const was = before.policy.enforce;
    if (show(enforce) === show(was) || enforce.level === 'privileged') return;
    if (enforce.version === was.version && rank(enforce.level) <= rank(was.level)) return;
    await this.existingPods(w, enforce);
  }

  /** Warnings naming the pods already in a namespace that break its new `enforce` level. */
  private async existingPods(w: WriteAttributes, enforce: LevelVersion): Promise<void> {
    const name = w.object.metadata.name ?? '';
    const pods = await this.store.list('pods', { namespace: name });
    const byReason = new Map<string, string[]>();
    for (const pod of pods.items.slice(0, 3000)) {
      const violations = podSecurityViolations(enforce.level, pod.spec ?? {}, pod.metadata.annotations ?? {});
      if (violations.length === 0) continue;
      const reasons = violations.map((v) => v.reason).join(', ');
      byReason.set(reasons, [...(byReason.get(reasons) ?? []), pod.metadata.name ?? '']);
    }
    if (byReason.size === 0) return;
    w.warnings?.push(
      `existing pods in namespace ${JSON.stringify(name)} violate the new PodSecurity enforce level ${JSON.stringify(show(enforce))}`,
    );
    const lines = [...byReason].map(([reasons, names]) => {
      const first = [...names].sort()[0] ?? '';
      const others = names.length - 1;
      const who = others === 0 ? first : `${first} (and ${others} other pod${others === 1 ? '' : 's'})`;
      return `${who}: ${reasons}`;
    });
    w.warnings?.push(...lines.sort());
  }
}
