import { hostname, networkInterfaces } from 'node:os';
import type { Clock } from '../common/clock.js';
import { servingNames, ServingTls } from '../identity/index.js';

/** DNS names S3's certificate adds for virtual-hosted buckets (`BUCKET.s3.localhost`). */
const S3_WILDCARDS = ['*.s3.localhost'];

/** The names pods reach the API server by, through the `default/kubernetes` Service. */
const KUBERNETES_SERVICE_NAMES = [
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

/** The machine's interface addresses (loopback and link-local ones are added or dropped later). */
function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
}

/**
 * The server's TLS material: the cluster CA in DATA_DIR/tls and serving certificates for the
 * names a client may use — loopback, this machine's host name and addresses, `--host`, the
 * `kubernetes` Service's address and names, and every `--tls-san` — or the user's own
 * certificate files.
 */
export function openServingTls(
  dataDir: string,
  options: {
    host?: string;
    tlsSans?: string[];
    tlsCertFile?: string;
    tlsKeyFile?: string;
    serviceIP: string;
  },
  clock: Clock,
): Promise<ServingTls> {
  const sans = servingNames({
    ...(options.host !== undefined ? { host: options.host } : {}),
    extra: [options.serviceIP, ...KUBERNETES_SERVICE_NAMES, ...(options.tlsSans ?? [])],
    hostname: hostname(),
    addresses: interfaceAddresses(),
  });
  return ServingTls.open({
    dataDir,
    sans,
    s3ExtraDnsNames: S3_WILDCARDS,
    clock,
    ...(options.tlsCertFile !== undefined ? { certFile: options.tlsCertFile } : {}),
    ...(options.tlsKeyFile !== undefined ? { keyFile: options.tlsKeyFile } : {}),
  });
}
