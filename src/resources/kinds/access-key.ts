import type { KubeObject } from '../../common/kube-object.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { invalid, required } from '../field-error.js';
import { ageColumn, column, nameColumn } from '../table.js';

/** The shape of an `iam.stratus.dev/v1` AccessKey. */
export interface AccessKeyObject extends KubeObject {
  spec?: { user?: string; secretAccessKey?: string };
}

const KEY_ID = /^[A-Za-z0-9._-]{1,128}$/;
const SECRET = /^[A-Za-z0-9+/]{40}$/;

/**
 * iam.stratus.dev/v1 AccessKey: an S3 access key pair as an API object. Cluster-scoped; the
 * name is the access key id (upper case allowed, as AWS ids are) and `spec.user` the user the key acts as. `spec.secretAccessKey`
 * is 40 characters of base64 alphabet, as AWS issues them, required on create; the API shows it
 * only in the create's reply (the store keeps it encrypted and write-only), so updates may omit
 * it. The table never shows the secret.
 */
export const accessKeyKind: KindDefinition = {
  group: 'iam.stratus.dev',
  version: 'v1',
  kind: 'AccessKey',
  plural: 'accesskeys',
  namespaced: false,
  schemaRef: 'dev.stratus.iam.v1.AccessKey',
  // Access key ids are upper case (AKIA…), which a DNS subdomain forbids.
  nameRule: 'none',
  validate(object, old) {
    const k = object as AccessKeyObject;
    const errs: FieldError[] = [];
    const name = k.metadata.name ?? '';
    if (name && !KEY_ID.test(name)) {
      errs.push(
        invalid('metadata.name', name, 'an access key id must be 1 to 128 letters, digits, ".", "_" or "-"'),
      );
    }
    const user = k.spec?.user;
    if (user !== undefined && user.length === 0) errs.push(invalid('spec.user', user, 'must not be empty'));
    const secret = k.spec?.secretAccessKey;
    if (secret === undefined && old === undefined) errs.push(required('spec.secretAccessKey'));
    if (secret !== undefined && !SECRET.test(secret)) {
      errs.push(
        invalid('spec.secretAccessKey', '<hidden>', 'must be 40 characters of letters, digits, "+" and "/"'),
      );
    }
    return errs;
  },
  columns: [nameColumn, column('User', 'string', 'The user the key acts as.'), ageColumn],
  cells(object, now) {
    const k = object as AccessKeyObject;
    return [k.metadata.name ?? '', k.spec?.user ?? '', age(k.metadata.creationTimestamp, now)];
  },
};
