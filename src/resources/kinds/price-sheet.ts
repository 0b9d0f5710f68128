import type { KubeObject } from '../../common/kube-object.js';
import type { KindDefinition } from '../define-kind.js';
import type { FieldError } from '../resource-type.js';
import { age } from '../age.js';
import { invalid } from '../field-error.js';
import { ageColumn, column, nameColumn } from '../table.js';

/** The price fields of a PriceSheet, each a decimal string with at most 6 decimal places. */
export const PRICE_FIELDS = [
  'cpuPerVcpuHour',
  'memoryPerGiBHour',
  'storagePerGiBMonth',
  'per1000Requests',
  'perGiBTransferred',
  'utilityPremium',
] as const;

/** The shape of a `billing.stratus.dev/v1` PriceSheet. */
export interface PriceSheet extends KubeObject {
  spec?: { currency?: string } & Partial<Record<(typeof PRICE_FIELDS)[number], string>>;
}

const DECIMAL = /^\d{1,12}(\.\d{1,6})?$/;

/**
 * billing.stratus.dev/v1 PriceSheet: what usage costs (per vCPU-hour, GiB-hour of memory, GiB-month
 * of storage, 1,000 S3 requests, GiB transferred) and the utility premium an on-demand unit-hour
 * costs over an owned one, which `stratus smoothness` compares with the demand's peak/average.
 * Prices are decimal strings (at most 6 places) so that sums in micro-units never drift.
 * Cluster-scoped; `stratus usage` uses the one named `default` unless told another.
 */
export const priceSheetKind: KindDefinition = {
  group: 'billing.stratus.dev',
  version: 'v1',
  kind: 'PriceSheet',
  plural: 'pricesheets',
  namespaced: false,
  schemaRef: 'dev.stratus.billing.v1.PriceSheet',
  validate(object) {
    const spec = (object as PriceSheet).spec ?? {};
    const errs: FieldError[] = [];
    for (const f of PRICE_FIELDS) {
      const v = spec[f];
      if (v !== undefined && (typeof v !== 'string' || !DECIMAL.test(v)))
        errs.push(
          invalid(
            `spec.${f}`,
            v,
            'a price must be a decimal string with at most 6 decimal places, e.g. "0.031611"',
          ),
        );
    }
    if (spec.currency !== undefined && !/^[A-Z]{3}$/.test(spec.currency))
      errs.push(invalid('spec.currency', spec.currency, 'a currency is an ISO 4217 code such as "USD"'));
    return errs;
  },
  columns: [
    nameColumn,
    column('Currency', 'string', 'ISO 4217 currency of the prices.'),
    column('vCPU-hour', 'string', 'Price of one vCPU for an hour.'),
    column('GiB-hour', 'string', 'Price of one GiB of memory for an hour.'),
    column('GiB-month', 'string', 'Price of one GiB stored for a month.'),
    ageColumn,
  ],
  cells(object, now) {
    const s = (object as PriceSheet).spec ?? {};
    return [
      object.metadata.name ?? '',
      s.currency ?? '',
      s.cpuPerVcpuHour ?? '0',
      s.memoryPerGiBHour ?? '0',
      s.storagePerGiBMonth ?? '0',
      age(object.metadata.creationTimestamp, now),
    ];
  },
};
