import { ACCESS_KEY_USER_LABEL, accessKeyUserLabel } from '../common/access-key-label.js';
import { allowed, requestAttributes, SYSTEM_MASTERS, type Authorizer } from './authorizer.js';
import { forbiddenWrite, type Admission, type WriteAttributes } from './admission.js';

/**
 * S3 access keys belong to users: an `iam.stratus.dev` AccessKey created without `spec.user` is
 * the requester's own, and one naming another user is refused unless the requester may act as
 * that user — `system:masters`, or whoever may `impersonate` the user (Kubernetes' verb for
 * acting as someone), as for CertificateSigningRequests whose `spec.username` the server sets.
 * The same holds for an update that changes the user. Mutates the object: fills in the user and
 * its label.
 */
export class AccessKeyAdmission implements Admission {
  constructor(private readonly authorizer: Authorizer) {}

  admit(w: WriteAttributes): void {
    if (w.apiGroup !== 'iam.stratus.dev' || w.resource !== 'accesskeys' || w.operation === 'delete') return;
    const requester = w.user;
    if (requester === undefined) return;
    const spec = (w.object.spec ?? {}) as { user?: string };
    if (spec.user === undefined || spec.user === '') spec.user = requester.username;
    w.object.spec = spec;
    const labels = { ...w.object.metadata.labels };
    const label = accessKeyUserLabel(spec.user);
    if (label === undefined) delete labels[ACCESS_KEY_USER_LABEL];
    else labels[ACCESS_KEY_USER_LABEL] = label;
    w.object.metadata.labels = labels;
    const before = (w.old?.spec as { user?: string } | undefined)?.user;
    if (spec.user === requester.username || spec.user === before) return;
    if (requester.groups.includes(SYSTEM_MASTERS)) return;
    const mayActAs = allowed(
      this.authorizer.authorize(
        requestAttributes(requester, { verb: 'impersonate', resource: 'users', name: spec.user }),
      ),
    );
    if (!mayActAs)
      throw forbiddenWrite(
        w,
        `user ${JSON.stringify(requester.username)} cannot create an access key for user ${JSON.stringify(spec.user)}: keys belong to their user (impersonating ${JSON.stringify(spec.user)} is needed to make one for them)`,
      );
  }
}
