import { ObjectStoreError } from '../errors.js';
import { child, children, escapeXml, parseXml, type XmlElement } from './xml.js';

/**
 * S3 access control lists as plain values: canned ACLs, `x-amz-grant-*` headers, the
 * AccessControlPolicy document, and the question "does this ACL give this requester this
 * permission". No I/O: users are resolved by functions the gateway passes in.
 */

/** An ACL permission; FULL_CONTROL implies the other four. */
export type AclPermission = 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP' | 'FULL_CONTROL';

/** The predefined groups S3 grants to. */
export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

/** A grant to one Stratus user (by name) or to a predefined group (by URI). */
export type Grant =
  { user: string; permission: AclPermission } | { group: string; permission: AclPermission };

/** An ACL: the resource's owner (a user name) and its grants, in order. */
export interface Acl {
  owner: string;
  grants: Grant[];
}

/** The canned ACLs of `x-amz-acl`. */
export const CANNED_ACLS = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
  'log-delivery-write',
  'aws-exec-read',
] as const;

/** A canned ACL's name. */
export type CannedAcl = (typeof CANNED_ACLS)[number];

const PERMISSIONS: readonly AclPermission[] = ['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL'];

/**
 * The ACL a canned name stands for, as AWS expands it: the owner's FULL_CONTROL first, then the
 * extra grants. `bucketOwner` matters for the bucket-owner-* ACLs of objects.
 */
export function cannedAcl(name: string, owner: string, bucketOwner: string = owner): Acl {
  const grants: Grant[] = [{ user: owner, permission: 'FULL_CONTROL' }];
  switch (name as CannedAcl) {
    case 'private':
    case 'aws-exec-read':
      break;
    case 'public-read':
      grants.push({ group: ALL_USERS, permission: 'READ' });
      break;
    case 'public-read-write':
      grants.push({ group: ALL_USERS, permission: 'READ' }, { group: ALL_USERS, permission: 'WRITE' });
      break;
    case 'authenticated-read':
      grants.push({ group: AUTHENTICATED_USERS, permission: 'READ' });
      break;
    case 'bucket-owner-read':
      if (bucketOwner !== owner) grants.push({ user: bucketOwner, permission: 'READ' });
      break;
    case 'bucket-owner-full-control':
      if (bucketOwner !== owner) grants.push({ user: bucketOwner, permission: 'FULL_CONTROL' });
      break;
    case 'log-delivery-write':
      grants.push(
        { group: LOG_DELIVERY, permission: 'WRITE' },
        { group: LOG_DELIVERY, permission: 'READ_ACP' },
      );
      break;
    default:
      throw new ObjectStoreError('InvalidArgument', `The canned ACL ${JSON.stringify(name)} is not valid`, {
        ArgumentName: 'x-amz-acl',
        ArgumentValue: name,
      });
  }
  return { owner, grants };
}

/** How grants name users: resolves a canonical id or an email to a user name (undefined: none). */
export interface GranteeResolver {
  byId(id: string): string | undefined;
  byEmail(email: string): string | undefined;
}

function unresolvableEmail(email: string): ObjectStoreError {
  return new ObjectStoreError(
    'UnresolvableGrantByEmailAddress',
    `The email address you provided does not match any account on record: ${email}`,
    { EmailAddress: email },
  );
}

function invalidId(id: string): ObjectStoreError {
  return new ObjectStoreError('InvalidArgument', 'Invalid id', {
    ArgumentName: 'CanonicalUser/ID',
    ArgumentValue: id,
  });
}

const GRANT_HEADERS: ReadonlyArray<readonly [string, AclPermission]> = [
  ['x-amz-grant-read', 'READ'],
  ['x-amz-grant-write', 'WRITE'],
  ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'],
  ['x-amz-grant-full-control', 'FULL_CONTROL'],
];

/** True when a request carries any `x-amz-grant-*` header. */
export function hasGrantHeaders(get: (name: string) => string | undefined): boolean {
  return GRANT_HEADERS.some(([h]) => get(h) !== undefined);
}

/**
 * The ACL of `x-amz-grant-*` headers (`id="…", emailAddress="…", uri="…"`, comma separated); the
 * owner gets no implicit grant, as on AWS.
 */
export function grantHeadersAcl(
  get: (name: string) => string | undefined,
  owner: string,
  resolve: GranteeResolver,
): Acl {
  const grants: Grant[] = [];
  for (const [name, permission] of GRANT_HEADERS) {
    const value = get(name);
    if (value === undefined) continue;
    for (const part of value.split(',')) {
      const m = /^\s*(id|emailAddress|uri)\s*=\s*"?([^"]*)"?\s*$/i.exec(part);
      if (m === null)
        throw new ObjectStoreError(
          'InvalidArgument',
          `The grant ${JSON.stringify(part.trim())} in ${name} is not valid`,
          {
            ArgumentName: name,
            ArgumentValue: value,
          },
        );
      const kind = (m[1] ?? '').toLowerCase();
      const who = m[2] ?? '';
      grants.push(
        grantee(
          kind === 'id' ? 'CanonicalUser' : kind === 'uri' ? 'Group' : 'AmazonCustomerByEmail',
          who,
          permission,
          resolve,
        ),
      );
    }
  }
  return { owner, grants };
}

function grantee(type: string, value: string, permission: AclPermission, resolve: GranteeResolver): Grant {
  switch (type) {
    case 'CanonicalUser': {
      const user = resolve.byId(value);
      if (user === undefined) throw invalidId(value);
      return { user, permission };
    }
    case 'AmazonCustomerByEmail': {
      const user = resolve.byEmail(value);
      if (user === undefined) throw unresolvableEmail(value);
      return { user, permission };
    }
    case 'Group':
      if (value !== ALL_USERS && value !== AUTHENTICATED_USERS && value !== LOG_DELIVERY)
        throw new ObjectStoreError('InvalidArgument', `Invalid group uri ${JSON.stringify(value)}`, {
          ArgumentName: 'Group/URI',
          ArgumentValue: value,
        });
      return { group: value, permission };
    default:
      throw new ObjectStoreError(
        'MalformedACLError',
        `The grantee type ${JSON.stringify(type)} is not valid`,
      );
  }
}

/**
 * The ACL of an AccessControlPolicy document. Its Owner, when given, must be the resource's
 * owner (AWS answers AccessDenied otherwise); grants name users by canonical id or email.
 */
export function parseAccessControlPolicy(xml: string, owner: string, resolve: GranteeResolver): Acl {
  const malformed = (why: string): ObjectStoreError =>
    new ObjectStoreError(
      'MalformedACLError',
      `The XML you provided was not well-formed or did not validate against our published schema: ${why}`,
    );
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch {
    throw malformed('the document is not XML');
  }
  if (root.name !== 'AccessControlPolicy') throw malformed('the root element must be AccessControlPolicy');
  const ownerId =
    child(root, 'Owner') === undefined ? undefined : child(child(root, 'Owner')!, 'ID')?.text.trim();
  if (ownerId !== undefined && resolve.byId(ownerId) !== owner)
    throw new ObjectStoreError('AccessDenied', 'The Owner of an AccessControlPolicy cannot be changed');
  const list = child(root, 'AccessControlList');
  if (list === undefined) throw malformed('AccessControlList is missing');
  const grants: Grant[] = [];
  for (const g of children(list, 'Grant')) {
    const who = child(g, 'Grantee');
    const permission = child(g, 'Permission')?.text.trim() ?? '';
    if (who === undefined) throw malformed('a Grant has no Grantee');
    if (!PERMISSIONS.includes(permission as AclPermission))
      throw malformed(`Permission ${JSON.stringify(permission)}`);
    const type =
      Object.entries(who.attributes).find(([k]) => k === 'xsi:type' || k.endsWith(':type'))?.[1] ?? '';
    const value =
      type === 'CanonicalUser'
        ? child(who, 'ID')?.text
        : type === 'Group'
          ? child(who, 'URI')?.text
          : child(who, 'EmailAddress')?.text;
    if (value === undefined) throw malformed(`a ${type || 'Grantee'} without its ID, URI or EmailAddress`);
    grants.push(grantee(type, value.trim(), permission as AclPermission, resolve));
  }
  return { owner, grants };
}

/** The AccessControlPolicy document of an ACL, users shown by canonical id and display name. */
export function aclToXml(acl: Acl, canonicalId: (user: string) => string): string {
  const xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
  const user = (name: string): string =>
    `<ID>${escapeXml(canonicalId(name))}</ID><DisplayName>${escapeXml(name)}</DisplayName>`;
  let grants = '';
  for (const g of acl.grants) {
    const who =
      'user' in g
        ? `<Grantee ${xsi} xsi:type="CanonicalUser">${user(g.user)}</Grantee>`
        : `<Grantee ${xsi} xsi:type="Group"><URI>${escapeXml(g.group)}</URI></Grantee>`;
    grants += `<Grant>${who}<Permission>${g.permission}</Permission></Grant>`;
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Owner>${user(acl.owner)}</Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`
  );
}

/** True when the ACL grants anything to AllUsers or AuthenticatedUsers (what BPA calls public). */
export function isPublicAcl(acl: Acl): boolean {
  return acl.grants.some((g) => 'group' in g && (g.group === ALL_USERS || g.group === AUTHENTICATED_USERS));
}

/**
 * Whether `acl` gives `permission` to the requester (`user`, or undefined for an anonymous
 * request); with `ignorePublic` (Block Public Access) group grants to everyone count for nothing.
 */
export function aclAllows(
  acl: Acl,
  user: string | undefined,
  permission: AclPermission,
  options: { ignorePublic?: boolean } = {},
): boolean {
  for (const g of acl.grants) {
    if (g.permission !== permission && g.permission !== 'FULL_CONTROL') continue;
    if ('user' in g) {
      if (user !== undefined && g.user === user) return true;
    } else if (options.ignorePublic !== true) {
      if (g.group === ALL_USERS) return true;
      if (g.group === AUTHENTICATED_USERS && user !== undefined) return true;
    }
  }
  return false;
}
