/** The label every AccessKey carries with (a label-safe form of) its user. */
export const ACCESS_KEY_USER_LABEL = 'iam.stratus.dev/user';

const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$/;

/**
 * The `iam.stratus.dev/user` label value of a user's AccessKeys (`stratus s3 keys list --user`
 * selects on it): the user name when it is a valid label value, else with `:` written as `.`
 * (a ServiceAccount's `system:serviceaccount:NS:NAME`, whose namespace has no dot, stays
 * unambiguous), or undefined when even that is not one (too long). The label only narrows a
 * listing; `spec.user` is what a key acts as.
 */
export function accessKeyUserLabel(user: string): string | undefined {
  if (LABEL_VALUE.test(user)) return user;
  const dotted = user.replaceAll(':', '.');
  return LABEL_VALUE.test(dotted) ? dotted : undefined;
}
