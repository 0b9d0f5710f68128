import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import type { FieldError } from './resource-type.js';
import { duplicate, invalid, notSupported, required } from './field-error.js';
import { isDns1123Label } from './names.js';
import { validateQuantity } from './quantity.js';
import { compareQuantity, formatQuantity, parseExactQuantity } from '../common/exact-quantity.js';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

/**
 * Checks an IANA service name (a named port): at most 15 lowercase alphanumerics or `-`, at
 * least one letter, no leading, trailing or doubled `-`. Messages as Kubernetes' `IsValidPortName`.
 */
export function isValidPortName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name))
    errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** `must be between 1 and 65535, inclusive` unless a valid port number. */
export function portNumberErrors(port: unknown): string[] {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535
    ? []
    : ['must be between 1 and 65535, inclusive'];
}

function validateContainer(c: Container, path: string, volumes: Set<string>, errs: FieldError[]): void {
  if (!c.name) errs.push(required(`${path}.name`));
  else for (const m of isDns1123Label(c.name)) errs.push(invalid(`${path}.name`, c.name, m));
  if (!c.image) errs.push(required(`${path}.image`));
  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(c.imagePullPolicy)) {
    errs.push(notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
  }
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((p, i) => {
    const pp = `${path}.ports[${i}]`;
    for (const m of portNumberErrors(p.containerPort))
      errs.push(invalid(`${pp}.containerPort`, p.containerPort, m));
    if (p.hostPort !== undefined && p.hostPort !== 0) {
      for (const m of portNumberErrors(p.hostPort)) errs.push(invalid(`${pp}.hostPort`, p.hostPort, m));
    }
    if (p.protocol !== undefined && !PROTOCOLS.includes(p.protocol)) {
      errs.push(notSupported(`${pp}.protocol`, p.protocol, PROTOCOLS));
    }
    if (p.name !== undefined) {
      for (const m of isValidPortName(p.name)) errs.push(invalid(`${pp}.name`, p.name, m));
      if (portNames.has(p.name)) errs.push(duplicate(`${pp}.name`, p.name));
      portNames.add(p.name);
    }
  });
  (c.env ?? []).forEach((e, i) => {
    if (!e.name) errs.push(required(`${path}.env[${i}].name`));
  });
  (c.volumeMounts ?? []).forEach((v, i) => {
    const vp = `${path}.volumeMounts[${i}]`;
    if (!v.name) errs.push(required(`${vp}.name`));
    else if (!volumes.has(v.name)) {
      errs.push({
        reason: 'FieldValueNotFound',
        field: `${vp}.name`,
        message: `Not found: ${JSON.stringify(v.name)}`,
      });
    }
    if (!v.mountPath) errs.push(required(`${vp}.mountPath`));
  });
  for (const kind of ['limits', 'requests'] as const) {
    for (const [k, q] of Object.entries(c.resources?.[kind] ?? {})) {
      errs.push(...validateQuantity(q, `${path}.resources.${kind}[${k}]`));
    }
  }
  errs.push(...requestsWithinLimits(c, path));
}

/** `requests: Invalid value: "500m": must be less than or equal to cpu limit of 100m`. */
function requestsWithinLimits(c: Container, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, text] of Object.entries(c.resources?.requests ?? {})) {
    const request = parseExactQuantity(text);
    const limit = parseExactQuantity(c.resources?.limits?.[k]);
    if (request === undefined || limit === undefined || compareQuantity(request, limit) <= 0) continue;
    errs.push(
      invalid(
        `${path}.resources.requests`,
        formatQuantity(request),
        `must be less than or equal to ${k} limit of ${formatQuantity(limit)}`,
      ),
    );
  }
  return errs;
}

/**
 * Validates a PodSpec (of a Pod or a template) as Kubernetes' `ValidatePodSpec` does for the
 * fields users write: at least one container; container names unique DNS labels; images
 * present; ports in range with valid, unique names; volumes uniquely named and mounted by
 * name; the restart policy among `restartPolicies` (Deployments allow only `Always`, Jobs
 * `OnFailure` and `Never`); a known DNS policy.
 */
export function validatePodSpec(
  spec: PodSpec | undefined,
  path: string,
  options: { restartPolicies?: readonly string[] } = {},
): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec) return [required(path)];
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    const vp = `${path}.volumes[${i}].name`;
    if (!v.name) return errs.push(required(vp));
    for (const m of isDns1123Label(v.name)) errs.push(invalid(vp, v.name, m));
    if (volumes.has(v.name)) errs.push(duplicate(vp, v.name));
    volumes.add(v.name);
  });
  if (!spec.containers || spec.containers.length === 0) errs.push(required(`${path}.containers`));
  const names = new Set<string>();
  const each = (list: Container[] | undefined, field: string): void =>
    (list ?? []).forEach((c, i) => {
      const cp = `${path}.${field}[${i}]`;
      validateContainer(c, cp, volumes, errs);
      if (c.name) {
        if (names.has(c.name)) errs.push(duplicate(`${cp}.name`, c.name));
        names.add(c.name);
      }
    });
  each(spec.initContainers, 'initContainers');
  each(spec.containers, 'containers');
  const allowed = options.restartPolicies ?? RESTART_POLICIES;
  if (spec.restartPolicy !== undefined && !allowed.includes(spec.restartPolicy)) {
    errs.push(notSupported(`${path}.restartPolicy`, spec.restartPolicy, allowed));
  }
  if (spec.dnsPolicy !== undefined && !DNS_POLICIES.includes(spec.dnsPolicy)) {
    errs.push(notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  }
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) {
    errs.push(
      invalid(
        `${path}.terminationGracePeriodSeconds`,
        spec.terminationGracePeriodSeconds,
        'must be greater than or equal to 0',
      ),
    );
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.push(
      invalid(
        `${path}.activeDeadlineSeconds`,
        spec.activeDeadlineSeconds,
        'must be between 1 and 2147483647, inclusive',
      ),
    );
  }
  return errs;
}
