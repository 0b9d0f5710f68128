/**
 * The environment variables Kubernetes gives a container for each Service it may see (the
 * kubelet's getServiceEnvVarMap and envvars.FromServices): `NAME_SERVICE_HOST`,
 * `NAME_SERVICE_PORT`, `NAME_SERVICE_PORT_<PORTNAME>` and the Docker-link style `NAME_PORT…`
 * variables, for the Services of the pod's namespace when `enableServiceLinks` is on (the
 * default) and always for `kubernetes` in `default`. Headless and ExternalName Services give
 * none. Pure.
 */
import type { Service } from 'kubernetes-types/core/v1.js';

const envName = (name: string): string => name.toUpperCase().replaceAll('-', '_');

/** Variables of one Service. */
export function serviceEnvVars(svc: Service): Record<string, string> {
  const ip = svc.spec?.clusterIP;
  const ports = svc.spec?.ports ?? [];
  if (ip === undefined || ip === '' || ip === 'None' || ports.length === 0) return {};
  const name = envName(svc.metadata?.name ?? '');
  const first = ports[0];
  const out: Record<string, string> = {
    [`${name}_SERVICE_HOST`]: ip,
    [`${name}_SERVICE_PORT`]: String(first?.port),
  };
  for (const p of ports) if (p.name) out[`${name}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
  const proto = (first?.protocol ?? 'TCP').toLowerCase();
  out[`${name}_PORT`] = `${proto}://${ip}:${first?.port}`;
  for (const p of ports) {
    const pr = (p.protocol ?? 'TCP').toLowerCase();
    const prefix = `${name}_PORT_${p.port}_${pr.toUpperCase()}`;
    out[prefix] = `${pr}://${ip}:${p.port}`;
    out[`${prefix}_PROTO`] = pr;
    out[`${prefix}_PORT`] = String(p.port);
    out[`${prefix}_ADDR`] = ip;
  }
  return out;
}

/**
 * Variables for a pod in `namespace`: its namespace's Services (when `enableServiceLinks`), and
 * `default/kubernetes`; a name in both is the namespace's, as the kubelet decides.
 */
export function serviceEnv(
  services: readonly Service[],
  namespace: string,
  enableServiceLinks = true,
): Record<string, string> {
  const out: Record<string, string> = {};
  const sorted = [...services].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  for (const svc of sorted) {
    const ns = svc.metadata?.namespace ?? 'default';
    if (ns === 'default' && svc.metadata?.name === 'kubernetes' && namespace !== 'default') {
      Object.assign(out, serviceEnvVars(svc));
    }
  }
  for (const svc of sorted) {
    if ((svc.metadata?.namespace ?? 'default') !== namespace) continue;
    if (!enableServiceLinks && !(namespace === 'default' && svc.metadata?.name === 'kubernetes')) continue;
    Object.assign(out, serviceEnvVars(svc));
  }
  return out;
}
