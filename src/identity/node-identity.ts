import type { UserInfo } from './user-info.js';

/** The group every node credential is in. */
export const NODES_GROUP = 'system:nodes';
/** A node's username is this prefix and the Node's name. */
export const NODE_USER_PREFIX = 'system:node:';

/**
 * The node a user acts for, as Kubernetes' default NodeIdentifier reads it: a member of
 * `system:nodes` named `system:node:NAME` is node NAME; a member of the group with another name
 * is a node whose name cannot be told (''); anyone else is no node (undefined).
 */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP)) return undefined;
  return user.username.startsWith(NODE_USER_PREFIX) ? user.username.slice(NODE_USER_PREFIX.length) : '';
}

/** The user a node's credential names: `system:node:NAME` in `system:nodes`. */
export function nodeUser(node: string): UserInfo {
  return { username: `${NODE_USER_PREFIX}${node}`, groups: [NODES_GROUP] };
}
