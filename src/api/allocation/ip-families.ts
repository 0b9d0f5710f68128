import type { Service } from 'kubernetes-types/core/v1.js';
import { ipFamilyOf } from '../../common/ip-address.js';
import { fieldInvalid, validateServiceClusterIPs, type FieldError } from '../../resources/index.js';

/** The families this cluster serves Service addresses in: IPv4 only. */
const CONFIGURED = ['IPv4'];

/**
 * Fills `ipFamilyPolicy` and `ipFamilies` as kube-apiserver's initIPFamilyFields does on a
 * single-stack IPv4 cluster, and returns why the Service's family fields cannot be served
 * (empty when they can). The policy defaults to the old one on update, to RequireDualStack for
 * a headless Service without selector (which may then list both families, as Kubernetes
 * allows), else SingleStack; families follow the requested cluster IPs, else IPv4.
 */
export function initIPFamilies(svc: Service, old: Service | undefined): FieldError[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const headlessNoSelector = spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0;
  if (spec.ipFamilyPolicy === undefined) {
    spec.ipFamilyPolicy =
      old?.spec?.ipFamilyPolicy ?? (headlessNoSelector ? 'RequireDualStack' : 'SingleStack');
  }
  const pre = validateServiceClusterIPs(svc);
  if (pre.length > 0) return pre;
  const policy = spec.ipFamilyPolicy;
  const ips = spec.clusterIPs ?? [];
  const families = (spec.ipFamilies ??= []);
  const errs: FieldError[] = [];
  if (policy === 'SingleStack') {
    const why = "must be 'RequireDualStack' or 'PreferDualStack' when multiple";
    if (ips.length === 2)
      errs.push(fieldInvalid('spec.ipFamilyPolicy', policy, `${why} cluster IPs are specified`));
    if (families.length === 2)
      errs.push(fieldInvalid('spec.ipFamilyPolicy', policy, `${why} IP families are specified`));
  }
  for (const [i, ip] of ips.entries()) {
    if (ip === 'None') break;
    const family = ipFamilyOf(ip) ?? 'IPv4';
    if (i < families.length) continue;
    if (!CONFIGURED.includes(family)) {
      errs.push(fieldInvalid(`spec.clusterIPs[${i}]`, ips, `${family} is not configured on this cluster`));
    } else {
      families.push(family);
    }
  }
  if (errs.length > 0) return errs;
  if (headlessNoSelector) {
    if (families.length === 0) families.push('IPv4');
    if (families.length < 2 && policy !== 'SingleStack')
      families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
    return [];
  }
  if (policy === 'RequireDualStack') {
    errs.push(
      fieldInvalid('spec.ipFamilyPolicy', policy, 'this cluster is not configured for dual-stack services'),
    );
  }
  families.forEach((family, i) => {
    if (!CONFIGURED.includes(family)) {
      errs.push(fieldInvalid(`spec.ipFamilies[${i}]`, family, 'not configured on this cluster'));
    }
  });
  if (errs.length === 0 && families.length === 0) families.push('IPv4');
  return errs;
}
