import type { IncomingMessage } from 'node:http';
import {
  allowed,
  ANONYMOUS_USER,
  AUTHENTICATED_GROUP,
  requestAttributes,
  serviceAccountUsername,
  splitServiceAccountUsername,
  UNAUTHENTICATED_GROUP,
  type Authenticator,
  type Authorizer,
  type RequestAttributes,
  type UserInfo,
} from '../identity/index.js';
import { ApiError, badRequest, unauthorized } from './errors.js';
import { forbiddenMessage, withUser, type ParsedRequest, type RequestInfo } from './request-attributes.js';
import type { AuditTrace } from './audit-event.js';

/**
 * The paths a request without credentials may ask for, as `system:anonymous`: health and
 * version, what Kubernetes 1.32's anonymous-authentication conditions allow. RBAC still decides
 * (`system:public-info-viewer` is bound to `system:unauthenticated`); elsewhere no token is 401.
 */
const ANONYMOUS_PATHS = ['/healthz', '/livez', '/readyz', '/version'];

function anonymousPath(path: string): boolean {
  return ANONYMOUS_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
}

/** A 403 in kube-apiserver's form: `pods "x" is forbidden: User "a" cannot get resource …`. */
export function forbiddenError(a: RequestAttributes, reason: string): ApiError {
  const message = forbiddenMessage(a, reason);
  if (!a.resourceRequest || a.resource === '') {
    return new ApiError('API_FORBIDDEN', 403, 'Forbidden', `forbidden: ${message}`, { group: '', kind: '' });
  }
  const qualified = a.apiGroup === '' ? a.resource : `${a.resource}.${a.apiGroup}`;
  const head =
    a.name === '' ? `${qualified} is forbidden` : `${qualified} ${JSON.stringify(a.name)} is forbidden`;
  return new ApiError('API_FORBIDDEN', 403, 'Forbidden', `${head}: ${message}`, {
    name: a.name,
    group: a.apiGroup,
    kind: a.resource,
  });
}

/** One thing an `Impersonate-*` header asks to act as, and the attributes that authorize it. */
interface ImpersonationStep {
  check: Omit<RequestAttributes, 'user'>;
  apply(target: UserInfo): void;
}

function impersonationStep(
  resource: string,
  name: string,
  apply: (t: UserInfo) => void,
  extra: { apiGroup?: string; namespace?: string; subresource?: string } = {},
): ImpersonationStep {
  const { user: _user, ...check } = requestAttributes(ANONYMOUS_USER, {
    verb: 'impersonate',
    apiGroup: extra.apiGroup ?? '',
    resource,
    subresource: extra.subresource ?? '',
    namespace: extra.namespace ?? '',
    name,
  });
  return { check, apply };
}

/**
 * Authentication, impersonation and authorization of every request, in kube-apiserver's order:
 * the bearer token names the user (no token: anonymous on the health and version paths, 401
 * elsewhere; a bad token: 401); `Impersonate-User`, `-Group`, `-Uid` and `-Extra-*` switch to
 * another user when the caller may `impersonate` each of them; then the authorizer chain
 * decides, and anything but allow is a 403 naming the user, verb and resource.
 */
export class RequestAuth {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly authorizer: Authorizer,
  ) {}

  /**
   * The user the request acts as, once allowed; throws the 401 or 403 otherwise. `trace` gets
   * who the credentials named and whom they impersonate, as soon as known (for the audit log).
   */
  async check(
    req: IncomingMessage,
    request: ParsedRequest,
    trace: AuditTrace = {},
  ): Promise<{ user: UserInfo; info: RequestInfo }> {
    const authorization = req.headers.authorization;
    let user: UserInfo | undefined;
    if (authorization === undefined && anonymousPath(request.path)) user = ANONYMOUS_USER;
    else user = await this.authenticator.authenticate(authorization);
    if (user === undefined) throw unauthorized();
    trace.user = user;
    user = this.impersonate(req, user);
    if (user !== trace.user) trace.impersonatedUser = user;
    const info = request.info;
    const attributes = withUser(info, user);
    const verdict = this.authorizer.authorize(attributes);
    if (!allowed(verdict)) throw forbiddenError(attributes, verdict.reason);
    return { user, info };
  }

  /** The user named by the `Impersonate-*` headers, each step authorized for `requester`. */
  private impersonate(req: IncomingMessage, requester: UserInfo): UserInfo {
    if (!impersonates(req)) return requester;
    const headers = req.headersDistinct;
    const username = headers['impersonate-user']?.[0] ?? '';
    const groups = headers['impersonate-group'] ?? [];
    const uid = headers['impersonate-uid']?.[0] ?? '';
    const extras = Object.entries(headers).filter(([k]) => k.startsWith('impersonate-extra-'));
    if (username === '') {
      if (groups.length > 0 || uid !== '' || extras.length > 0) {
        throw badRequest('Impersonate-Group, Impersonate-Uid and Impersonate-Extra-* need Impersonate-User');
      }
      return requester;
    }
    const target: UserInfo = { username: '', groups: [] };
    const steps: ImpersonationStep[] = [];
    const sa = splitServiceAccountUsername(username);
    if (sa !== undefined) {
      steps.push(
        impersonationStep(
          'serviceaccounts',
          sa.name,
          (t) => {
            t.username = serviceAccountUsername(sa.namespace, sa.name);
            if (groups.length === 0)
              t.groups.push('system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`);
          },
          { namespace: sa.namespace },
        ),
      );
    } else {
      steps.push(impersonationStep('users', username, (t) => (t.username = username)));
    }
    for (const g of groups) steps.push(impersonationStep('groups', g, (t) => t.groups.push(g)));
    for (const [header, values] of extras) {
      const key = decode(header.slice('impersonate-extra-'.length));
      for (const v of values ?? []) {
        steps.push(
          impersonationStep(
            'userextras',
            v,
            (t) => {
              t.extra ??= {};
              (t.extra[key] ??= []).push(v);
            },
            { apiGroup: 'authentication.k8s.io', subresource: key },
          ),
        );
      }
    }
    if (uid !== '') {
      steps.push(impersonationStep('uids', uid, (t) => (t.uid = uid), { apiGroup: 'authentication.k8s.io' }));
    }
    for (const step of steps) {
      const attributes = { ...step.check, user: requester };
      const verdict = this.authorizer.authorize(attributes);
      if (!allowed(verdict)) throw forbiddenError(attributes, verdict.reason);
      step.apply(target);
    }
    const anonymous = target.username === ANONYMOUS_USER.username;
    const implied = anonymous ? UNAUTHENTICATED_GROUP : AUTHENTICATED_GROUP;
    const hasImplied = target.groups.some(
      (g) => g === UNAUTHENTICATED_GROUP || (!anonymous && g === AUTHENTICATED_GROUP),
    );
    if (!hasImplied) target.groups.push(implied);
    return target;
  }
}

/** Whether any header asks to impersonate (most requests: none, found without allocating). */
function impersonates(req: IncomingMessage): boolean {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length >= 12 && name.slice(0, 12).toLowerCase() === 'impersonate-') return true;
  }
  return false;
}

function decode(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}
