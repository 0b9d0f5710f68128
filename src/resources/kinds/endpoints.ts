import type { Endpoints } from 'kubernetes-types/core/v1.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { invalid, required } from '../field-error.js';
import { portNumberErrors } from '../pod-spec-validation.js';
import { ageColumn, column, nameColumn } from '../table.js';
import { isIP } from '../../common/ip-address.js';

/** The ENDPOINTS cell: up to three `ip:port` pairs, then ` + N more...`, as kubectl's `formatEndpoints`. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let count = 0;
  let more = false;
  const add = (s: string): void => {
    if (list.length === max) more = true;
    else list.push(s);
  };
  for (const ss of subsets) {
    const addrs = ss.addresses ?? [];
    if ((ss.ports ?? []).length === 0) {
      count += addrs.length;
      for (const a of addrs) add(a.ip);
    } else {
      for (const p of ss.ports ?? []) {
        count += addrs.length;
        for (const a of addrs) add(a.ip.includes(':') ? `[${a.ip}]:${p.port}` : `${a.ip}:${p.port}`);
      }
    }
  }
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<none>' : ret;
}

/** core/v1 Endpoints: addresses must be IPs and ports in range; the table lists `ip:port` pairs. */
export const endpointsKind: KindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  shortNames: ['ep'],
  namespaced: true,
  schemaRef: 'io.k8s.api.core.v1.Endpoints',
  validate(object) {
    const ep = object as Endpoints;
    const errs: FieldError[] = [];
    (ep.subsets ?? []).forEach((ss, i) => {
      for (const field of ['addresses', 'notReadyAddresses'] as const) {
        (ss[field] ?? []).forEach((a, j) => {
          const p = `subsets[${i}].${field}[${j}].ip`;
          if (!a.ip) errs.push(required(p));
          else if (!isIP(a.ip)) errs.push(invalid(p, a.ip, 'must be a valid IP address'));
        });
      }
      (ss.ports ?? []).forEach((port, j) => {
        for (const m of portNumberErrors(port.port))
          errs.push(invalid(`subsets[${i}].ports[${j}].port`, port.port, m));
      });
    });
    return errs;
  },
  columns: [nameColumn, column('Endpoints', 'string', 'Endpoints of the service'), ageColumn],
  cells(object, now) {
    const ep = object as Endpoints;
    return [ep.metadata?.name ?? '', formatEndpoints(ep), age(ep.metadata?.creationTimestamp, now)];
  },
};
