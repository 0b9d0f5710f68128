import { containerConfigError } from '../errors.js';

/** A resolved user: the ids a container's processes run as, and the HOME its passwd entry names. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home?: string;
}

/** The image's `/etc/passwd` and `/etc/group` texts (empty when the image has none). */
export interface IdFiles {
  passwd: string;
  group: string;
}

function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

const numeric = (s: string): boolean => /^\d+$/.test(s);

/**
 * Resolves an image's `User` (`name`, `uid`, `name:group`, `uid:gid`, …) against its passwd and
 * group files as runc's libcontainer/user does: a name must exist; a number need not (it runs with
 * gid 0 unless a group is named or its passwd entry has one); the user's supplementary groups come
 * from `/etc/group`. `runAsUser`/`runAsGroup` override the image's values after this. Pure.
 */
export function resolveUser(user: string | undefined, files: IdFiles): ResolvedUser {
  const spec = user === undefined || user === '' ? '0' : user;
  const [u = '0', g] = spec.split(':', 2);
  const passwd = rows(files.passwd);
  const groups = rows(files.group);
  const entry = passwd.find((r) => (numeric(u) ? r[2] === u : r[0] === u));
  if (entry === undefined && !numeric(u))
    throw containerConfigError(`unable to find user ${u}: no matching entries in passwd file`);
  const uid = numeric(u) ? Number(u) : Number(entry?.[2]);
  let gid = entry?.[3] !== undefined && numeric(entry[3]) ? Number(entry[3]) : 0;
  if (g !== undefined && g !== '') {
    const ge = groups.find((r) => (numeric(g) ? r[2] === g : r[0] === g));
    if (ge === undefined && !numeric(g))
      throw containerConfigError(`unable to find group ${g}: no matching entries in group file`);
    gid = numeric(g) ? Number(g) : Number(ge?.[2]);
  }
  const name = entry?.[0];
  const additionalGids =
    name === undefined
      ? []
      : groups
          .filter((r) => (r[3] ?? '').split(',').includes(name) && r[2] !== undefined && numeric(r[2]))
          .map((r) => Number(r[2]))
          .filter((id) => id !== gid);
  const out: ResolvedUser = { uid, gid, additionalGids };
  if (entry?.[5] !== undefined && entry[5] !== '') out.home = entry[5];
  return out;
}
