import type { KubeObject } from '../../common/kube-object.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { invalid, notSupported } from '../field-error.js';
import { ageColumn, column, nameColumn } from '../table.js';

/** The shape of a `storage.stratus.dev/v1` Bucket. */
export interface Bucket extends KubeObject {
  spec?: { owner?: string; namespace?: string; versioning?: 'Enabled' | 'Suspended' };
  status?: { objects?: number; bytes?: number };
}

const S3_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * storage.stratus.dev/v1 Bucket: an S3 bucket as an API object. Cluster-scoped, since S3
 * bucket names are global; the name follows S3's rules (3–63 characters, lowercase letters,
 * digits, `.` and `-`, not an IP address). `spec.versioning` is `Enabled` or `Suspended`
 * (absent means never enabled); once enabled it cannot go back to absent, as in S3.
 * `spec.namespace` is the namespace whose ResourceQuotas count the bucket (its owner's, for a
 * ServiceAccount; see ARCHITECTURE.md, "Namespaces as tenants").
 */
export const bucketKind: KindDefinition = {
  group: 'storage.stratus.dev',
  version: 'v1',
  kind: 'Bucket',
  plural: 'buckets',
  namespaced: false,
  subresources: ['status'],
  schemaRef: 'dev.stratus.storage.v1.Bucket',
  validate(object, old) {
    const b = object as Bucket;
    const errs: FieldError[] = [];
    const name = b.metadata.name ?? '';
    if (name && (!S3_NAME.test(name) || /^\d+\.\d+\.\d+\.\d+$/.test(name) || name.includes('..'))) {
      errs.push(
        invalid(
          'metadata.name',
          name,
          "a bucket name must be 3 to 63 characters of lower case letters, digits, '.' and '-', start and end with a letter or digit, and not be an IP address",
        ),
      );
    }
    const v = b.spec?.versioning;
    if (v !== undefined && !['Enabled', 'Suspended'].includes(v)) {
      errs.push(notSupported('spec.versioning', v, ['Enabled', 'Suspended']));
    }
    const before = (old as Bucket | undefined)?.spec?.versioning;
    if (before && v === undefined) {
      errs.push(
        invalid('spec.versioning', null, 'versioning cannot be removed once enabled; set it to "Suspended"'),
      );
    }
    return errs;
  },
  columns: [
    nameColumn,
    column('Owner', 'string', 'The user or project that owns the bucket.'),
    column('Objects', 'integer', 'The number of current objects in the bucket.'),
    column('Bytes', 'integer', 'The bytes held by current objects.'),
    column('Versioning', 'string', 'Enabled, Suspended, or Off.'),
    ageColumn,
  ],
  cells(object, now) {
    const b = object as Bucket;
    return [
      b.metadata.name ?? '',
      b.spec?.owner ?? '',
      b.status?.objects ?? 0,
      b.status?.bytes ?? 0,
      b.spec?.versioning ?? 'Off',
      age(b.metadata.creationTimestamp, now),
    ];
  },
};
