import type { QuotaAdmission } from '../api/index.js';
import { splitServiceAccountUsername } from '../identity/index.js';
import type { ObjectStore } from '../objectstore/index.js';
import type { S3Quota } from '../objectstore/s3/index.js';
import { BUCKET_BYTES } from '../resources/quota/index.js';

/**
 * The namespace whose quotas count a bucket owner's S3 usage: a ServiceAccount's own namespace;
 * any other user's buckets are cluster-wide and counted nowhere (Kubernetes users belong to no
 * namespace; see ARCHITECTURE.md, "Namespaces as tenants").
 */
export function bucketNamespace(owner: string): string | undefined {
  return splitServiceAccountUsername(owner)?.namespace;
}

/**
 * The S3 gateway's view of the API's ResourceQuotas: bucket charges go through the quota
 * admission (atomic per quota, as API writes), and the bytes a namespace holds are summed from
 * the engine (the truth; the mirrored Buckets' `status.bytes` lag by the mirror's interval), only
 * when a quota limits them.
 */
export function s3Quota(quota: QuotaAdmission, engine: ObjectStore): S3Quota {
  return {
    namespaceOf: bucketNamespace,
    chargeBucket: (namespace, bucket) => quota.chargeBucket(namespace, bucket),
    async bytesLeft(namespace) {
      const hard = quota.hardLimit(namespace, BUCKET_BYTES);
      if (hard === undefined) return undefined;
      let used = 0n;
      for (const b of await engine.listBuckets()) {
        if (bucketNamespace(b.owner) !== namespace) continue;
        const usage = await engine.bucketUsage(b.name).catch(() => undefined);
        used += BigInt(usage?.bytes ?? 0);
      }
      return { left: hard > used ? hard - used : 0n, used, hard };
    },
  };
}
