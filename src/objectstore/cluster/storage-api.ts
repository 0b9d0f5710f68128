import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineObjectStore } from '../engine/index.js';
import { ObjectStoreError } from '../errors.js';
import { ringBalance } from '../ring/index.js';

/** The API group and version the storage endpoints live under (beside the Bucket kind). */
export const STORAGE_API_PREFIX = '/apis/storage.stratus.dev/v1';

/** One HTTP endpoint the API server serves after authentication: the path and its handler. */
export interface StorageApiExtension {
  /** The exact path (or the start of `path/…`) this extension answers. */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** One device in `GET …/ring`. */
export interface RingDeviceView {
  id: string;
  /** The device folder, or '' for a device of the ring that this server does not hold. */
  path: string;
  region: string;
  zone: string;
  node: string;
  weight: number;
  /** Partition-replicas assigned to the device. */
  partitions: number;
  /** Partition-replicas its weight asks for. */
  desired: number;
  /** (partitions − desired) / desired × 100. */
  balancePercent: number;
}

/** The body of `GET /apis/storage.stratus.dev/v1/ring`. */
export interface RingView {
  apiVersion: 'storage.stratus.dev/v1';
  kind: 'Ring';
  version: number;
  replicas: number;
  partPower: number;
  partitions: number;
  /** The worst device's |balancePercent| (Swift's "balance"). */
  balancePercent: number;
  devices: RingDeviceView[];
}

/** Builds the ring view from the engine: assignment counts, weights and device folders. */
export async function ringView(engine: EngineObjectStore): Promise<RingView> {
  const ring = engine.ring();
  const balance = ringBalance(ring);
  const paths = new Map((await engine.status()).devices.map((d) => [d.id, d.path]));
  return {
    apiVersion: 'storage.stratus.dev/v1',
    kind: 'Ring',
    version: ring.version,
    replicas: ring.replicas,
    partPower: ring.partPower,
    partitions: 2 ** ring.partPower,
    balancePercent: balance.worstPercentOff,
    devices: ring.devices.map((d, i) => {
      const b = balance.devices[i];
      return {
        id: d.id,
        path: paths.get(d.id) ?? '',
        region: d.region,
        zone: d.zone,
        node: d.node,
        weight: d.weight,
        partitions: b?.assigned ?? 0,
        desired: b?.desired ?? 0,
        balancePercent: b?.percentOff ?? 0,
      };
    }),
  };
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-cache, private',
  });
  res.end(text);
}

function queryOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

function getOnly(path: string, answer: (req: IncomingMessage) => Promise<unknown>): StorageApiExtension {
  return {
    prefix: path,
    async handle(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new ObjectStoreError(
          'MethodNotAllowed',
          `${req.method ?? ''} is not allowed on ${path}: use GET`,
        );
      }
      sendJson(res, await answer(req));
    },
  };
}

/**
 * The object store's read-only views, served by the API server behind its authentication so
 * that `stratus storage ring|status` and `stratus explain object` need only the kubeconfig:
 * `…/ring` (devices, weights, partitions assigned vs desired, balance), `…/storagestatus`
 * (device health, auditor and replicator progress) and `…/explain?bucket=&key=[&versionId=]`
 * (each copy of an object, its device, role and health). Engine errors keep their HTTP status.
 */
export function storageApiExtensions(engine: EngineObjectStore): StorageApiExtension[] {
  return [
    getOnly(`${STORAGE_API_PREFIX}/ring`, () => ringView(engine)),
    getOnly(`${STORAGE_API_PREFIX}/storagestatus`, async () => ({
      apiVersion: 'storage.stratus.dev/v1',
      kind: 'StorageStatus',
      ...(await engine.status()),
    })),
    getOnly(`${STORAGE_API_PREFIX}/explain`, async (req) => {
      const q = queryOf(req);
      const bucket = q.get('bucket') ?? '';
      const key = q.get('key') ?? '';
      if (!bucket || !key) {
        throw new ObjectStoreError('InvalidArgument', 'explain needs the query parameters bucket and key', {
          bucket,
          key,
        });
      }
      const versionId = q.get('versionId') ?? undefined;
      return {
        apiVersion: 'storage.stratus.dev/v1',
        kind: 'ObjectExplanation',
        ...(await engine.explain(bucket, key, versionId)),
      };
    }),
  ];
}
