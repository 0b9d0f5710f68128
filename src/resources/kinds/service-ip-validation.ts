import type { Service } from 'kubernetes-types/core/v1.js';
import { ipFamilyOf, isIP } from '../../common/ip-address.js';
import type { FieldError } from '../resource-type.js';
import { duplicate, invalid, notSupported, required } from '../field-error.js';

const FAMILIES = ['IPv4', 'IPv6'];
const FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];

/** True for `clusterIPs: ["None"]`. */
export function isHeadless(svc: Service): boolean {
  const ips = svc.spec?.clusterIPs ?? [];
  return ips.length === 1 && ips[0] === 'None';
}

/**
 * Kubernetes' ValidateServiceClusterIPsRelatedFields: clusterIP and clusterIPs agree, families
 * and policy are known values, `None` stands alone, at most one IP per family and each IP
 * matching its family. Also run by the allocator before it allocates.
 */
export function validateServiceClusterIPs(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(required('spec.clusterIPs'));
    else if (ips[0] !== spec.clusterIP)
      errs.push(invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  } else if (ips.length > 0) {
    errs.push(invalid('spec.clusterIPs', ips, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((f, i) => {
    if (!FAMILIES.includes(f)) errs.push(notSupported(`spec.ipFamilies[${i}]`, f, FAMILIES));
    if (seen.has(f)) errs.push(duplicate(`spec.ipFamilies[${i}]`, f));
    seen.add(f);
  });
  if (spec.ipFamilyPolicy !== undefined && !FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) {
    errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, FAMILY_POLICIES));
  }
  let badIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        badIPs = true;
        errs.push(invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
      }
      return;
    }
    if (!isIP(ip)) {
      badIPs = true;
      errs.push(
        invalid(`spec.clusterIPs[${i}]`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'),
      );
    }
  });
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', ips, 'may only hold up to 2 values'));
  if (badIPs) return errs;
  if (ips.length > 1 && ipFamilyOf(ips[0] ?? '') === ipFamilyOf(ips[1] ?? '')) {
    errs.push(invalid('spec.clusterIPs', ips, 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadless(svc)) {
    ips.forEach((ip, i) => {
      const family = spec.ipFamilies?.[i];
      if (family !== undefined && FAMILIES.includes(family) && ipFamilyOf(ip) !== family) {
        errs.push(
          invalid(
            `spec.clusterIPs[${i}]`,
            ip,
            `expected an ${family} value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
    });
  }
  return errs;
}

/**
 * The cluster IP rules of Kubernetes' ValidateServiceUpdate: the primary cluster IP and IP
 * family may not change once set, unless the Service is or becomes ExternalName.
 */
export function validateClusterIPUpdate(svc: Service, old: Service): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec ?? {};
  const before = old.spec ?? {};
  const external = spec.type === 'ExternalName' || before.type === 'ExternalName';
  if (!external && !(isHeadless(svc) && isHeadless(old))) {
    const ips = spec.clusterIPs ?? [];
    const oldIPs = before.clusterIPs ?? [];
    if (oldIPs.length > 0 && ips.length === 0) {
      errs.push(invalid('spec.clusterIPs[0]', ips, 'primary clusterIP can not be unset'));
    } else if (oldIPs.length > 0 && ips[0] !== oldIPs[0]) {
      errs.push(invalid('spec.clusterIPs[0]', ips, 'may not change once set'));
    }
  }
  if (!external && isHeadless(svc) === isHeadless(old) && !isHeadless(svc)) {
    const families = spec.ipFamilies ?? [];
    const oldFamilies = before.ipFamilies ?? [];
    if (oldFamilies.length > 0 && families.length > 0 && families[0] !== oldFamilies[0]) {
      errs.push(invalid('spec.ipFamilies[0]', families, 'may not change once set'));
    }
  }
  return errs;
}
