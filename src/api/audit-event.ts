import type { UserInfo } from '../identity/index.js';
import type { RequestInfo } from './request-attributes.js';

/** The verbs that change state: every request with one of them is audited. */
const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** What the API server notes about a request while serving it, for its audit event. */
export interface AuditTrace {
  /** Who the credentials named (before impersonation); unset when authentication failed. */
  user?: UserInfo;
  /** Who the request acted as, when it impersonated someone. */
  impersonatedUser?: UserInfo;
  /** The object a create made or tried to make (the path does not name it). */
  name?: string;
  /** The reply's `Status` when the request failed. */
  status?: { reason?: string; message?: string };
}

/** One request as it went, for `auditEvent`. */
export interface AuditInput {
  id: string;
  info: RequestInfo;
  requestURI: string;
  sourceIP: string;
  userAgent: string | undefined;
  code: number;
  trace: AuditTrace;
  receivedMs: number;
  doneMs: number;
}

/** An `audit.k8s.io/v1` Event at level Metadata, as kube-apiserver writes one per line. */
export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: 'Metadata';
  auditID: string;
  stage: 'ResponseComplete';
  requestURI: string;
  verb: string;
  user: Partial<UserInfo>;
  impersonatedUser?: UserInfo;
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: Record<string, string>;
  responseStatus: {
    metadata: Record<string, never>;
    code: number;
    status?: string;
    reason?: string;
    message?: string;
  };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  annotations?: Record<string, string>;
}

/**
 * Whether a request goes to the audit log: every mutating one (whatever its result) and every
 * one refused for who asked (401, 403). Reads that were allowed are not logged.
 */
export function shouldAudit(verb: string, code: number): boolean {
  return MUTATING.has(verb) || code === 401 || code === 403;
}

/** RFC 3339 with microseconds, as kube-apiserver's audit timestamps. */
function micro(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** The audit event of one request: who, what, when, and the result. Pure. */
export function auditEvent(a: AuditInput): AuditEvent {
  const { info, trace } = a;
  const name = info.name !== '' ? info.name : (trace.name ?? '');
  const ref: Record<string, string> = {};
  if (info.resourceRequest) {
    for (const [k, v] of [
      ['resource', info.resource],
      ['namespace', info.namespace],
      ['name', name],
      ['apiGroup', info.apiGroup],
      ['apiVersion', info.apiVersion],
      ['subresource', info.subresource],
    ] as const) {
      if (v !== '') ref[k] = v;
    }
  }
  const failed = a.code >= 400;
  const decision = a.code === 403 ? 'forbid' : a.code === 401 ? undefined : 'allow';
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: a.id,
    stage: 'ResponseComplete',
    requestURI: a.requestURI,
    verb: info.verb,
    user: trace.user ?? {},
    ...(trace.impersonatedUser ? { impersonatedUser: trace.impersonatedUser } : {}),
    sourceIPs: [a.sourceIP],
    ...(a.userAgent !== undefined ? { userAgent: a.userAgent } : {}),
    ...(info.resourceRequest ? { objectRef: ref } : {}),
    responseStatus: {
      metadata: {},
      code: a.code,
      ...(failed ? { status: 'Failure' } : {}),
      ...(failed && trace.status?.reason ? { reason: trace.status.reason } : {}),
      ...(failed && trace.status?.message ? { message: trace.status.message } : {}),
    },
    requestReceivedTimestamp: micro(a.receivedMs),
    stageTimestamp: micro(a.doneMs),
    ...(decision ? { annotations: { 'authorization.k8s.io/decision': decision } } : {}),
  };
}
