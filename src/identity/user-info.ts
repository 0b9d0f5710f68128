/** Who made a request, as Kubernetes' authenticators report it (`user.Info`). */
export interface UserInfo {
  username: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** The group every authenticated user is in. */
export const AUTHENTICATED_GROUP = 'system:authenticated';
/** The group of requests without credentials. */
export const UNAUTHENTICATED_GROUP = 'system:unauthenticated';

/** The user of a request that carries no credentials, where anonymous requests are allowed. */
export const ANONYMOUS_USER: UserInfo = { username: 'system:anonymous', groups: [UNAUTHENTICATED_GROUP] };

/** The username of a ServiceAccount: `system:serviceaccount:NAMESPACE:NAME`. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** `{namespace, name}` of a ServiceAccount username, or undefined for any other username. */
export function splitServiceAccountUsername(
  username: string,
): { namespace: string; name: string } | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  return m === null ? undefined : { namespace: m[1] ?? '', name: m[2] ?? '' };
}

/** The user with `system:authenticated` added when absent (kube-apiserver's group adder). */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(AUTHENTICATED_GROUP)) return user;
  return { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}
