import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { objectTooLarge, storeUnavailable } from '../errors.js';
import { ETCD_DESCRIPTOR } from './etcd-proto.js';

/** An etcd key-value pair (mvccpb.KeyValue); revisions are numbers (they fit 2^53). */
export interface KeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
}

export interface ResponseHeader {
  revision: number;
}

export interface RangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: number;
  revision?: number;
  keys_only?: boolean;
  count_only?: boolean;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

export interface Compare {
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
  target: 'MOD';
  key: Buffer;
  mod_revision: number;
}

export type RequestOp =
  | { request_range: RangeRequest }
  | { request_put: { key: Buffer; value: Buffer } }
  | { request_delete_range: { key: Buffer; prev_kv: boolean } };

export interface ResponseOp {
  response_range?: RangeResponse;
  response_put?: { header: ResponseHeader };
  response_delete_range?: { header: ResponseHeader; deleted: number; prev_kvs: KeyValue[] };
}

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface WatchEventMessage {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prev_kv: KeyValue | null;
}

export interface WatchResponse {
  header: ResponseHeader;
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  events: WatchEventMessage[];
}

export type WatchRequest =
  | {
      create_request: {
        key: Buffer;
        range_end: Buffer;
        start_revision: number;
        prev_kv: boolean;
        progress_notify: boolean;
      };
    }
  | { cancel_request: { watch_id: number } }
  | { progress_request: Record<string, never> };

export type WatchStream = grpc.ClientDuplexStream<WatchRequest, WatchResponse>;

/** Options of EtcdClient; every field has a default. */
export interface EtcdClientOptions {
  /** Deadline of each unary call; default 10_000 ms. */
  callTimeoutMs?: number;
  /** TLS with a client certificate (the members Stratus runs); default plaintext. */
  tls?: EtcdTls;
}

/**
 * How to reach members over TLS: the CA that signed them (default the system's roots), and this
 * client's certificate and key (PEM; without them no client certificate is offered).
 */
export interface EtcdTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/** gRPC credentials for `tls`, or plaintext without. */
export function etcdCredentials(tls: EtcdTls | undefined): grpc.ChannelCredentials {
  return tls === undefined
    ? grpc.credentials.createInsecure()
    : grpc.credentials.createSsl(
        tls.ca === undefined ? null : Buffer.from(tls.ca),
        tls.key === undefined ? null : Buffer.from(tls.key),
        tls.cert === undefined ? null : Buffer.from(tls.cert),
      );
}

type Unary = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => void;

interface ServiceClient extends grpc.Client {
  [method: string]: unknown;
}

type ServiceCtor = new (address: string, creds: grpc.ChannelCredentials, options?: object) => ServiceClient;

const LOADER_OPTIONS = { longs: Number, enums: String, defaults: true, oneofs: true } as const;

let services: { KV: ServiceCtor; Watch: ServiceCtor } | undefined;

function loadServices(): { KV: ServiceCtor; Watch: ServiceCtor } {
  if (services !== undefined) return services;
  const definition = protoLoader.fromJSON(
    ETCD_DESCRIPTOR as unknown as Parameters<typeof protoLoader.fromJSON>[0],
    LOADER_OPTIONS,
  );
  const pkg = grpc.loadPackageDefinition(definition)['etcdserverpb'] as unknown as Record<
    string,
    ServiceCtor
  >;
  services = { KV: pkg['KV'] as ServiceCtor, Watch: pkg['Watch'] as ServiceCtor };
  return services;
}

const CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

/** One member's connection: its KV and Watch service clients. */
interface Endpoint {
  address: string;
  kv: ServiceClient;
  watch: ServiceClient;
}

/**
 * A thin etcd v3 client on @grpc/grpc-js: the KV calls the store makes (Range, Txn, Compact)
 * and Watch streams, over gRPC (TLS with a client certificate, or plaintext) to a list of members. Calls go to one member at a time;
 * when it does not answer (UNAVAILABLE, a deadline), the next call goes to the next member.
 * Reads are retried there once per member; a write is retried only when it was refused before
 * reaching a member (no connection), since a write that timed out may have been applied.
 */
export class EtcdClient {
  private readonly endpoints: Endpoint[];
  private current = 0;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(addresses: readonly string[], options: EtcdClientOptions = {}) {
    if (addresses.length === 0) throw new RangeError('etcd: at least one endpoint is required');
    const { KV, Watch } = loadServices();
    const creds = etcdCredentials(options.tls);
    this.endpoints = addresses.map((address) => ({
      address,
      kv: new KV(address, creds, CHANNEL_OPTIONS),
      watch: new Watch(address, creds, CHANNEL_OPTIONS),
    }));
    this.timeoutMs = options.callTimeoutMs ?? 10_000;
  }

  /** The member addresses, as given. */
  get addresses(): string[] {
    return this.endpoints.map((e) => e.address);
  }

  range(request: RangeRequest): Promise<RangeResponse> {
    return this.call('Range', request, true) as Promise<RangeResponse>;
  }

  /** A transaction; `readOnly` ones are retried on another member like reads. */
  txn(request: TxnRequest, readOnly = false): Promise<TxnResponse> {
    return this.call('Txn', request, readOnly) as Promise<TxnResponse>;
  }

  compact(revision: number): Promise<void> {
    return this.call('Compact', { revision, physical: true }, true).then(() => undefined);
  }

  /** Opens a Watch stream on the member currently in use. */
  watchStream(): WatchStream {
    const endpoint = this.endpoints[this.current] as Endpoint;
    const method = endpoint.watch['Watch'] as (this: grpc.Client) => WatchStream;
    return method.call(endpoint.watch);
  }

  /** Moves later calls and streams to the next member (after one failed). */
  failover(): void {
    this.current = (this.current + 1) % this.endpoints.length;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const e of this.endpoints) {
        e.kv.close();
        e.watch.close();
      }
    }
    return Promise.resolve();
  }

  private async call(method: string, request: unknown, idempotent: boolean): Promise<unknown> {
    let lastError: grpc.ServiceError | undefined;
    for (let attempt = 0; attempt < this.endpoints.length; attempt++) {
      const index = this.current;
      const endpoint = this.endpoints[index] as Endpoint;
      try {
        return await this.callOnce(endpoint, method, request);
      } catch (err) {
        const e = err as grpc.ServiceError;
        if (e.code === grpc.status.RESOURCE_EXHAUSTED || /request is too large/.test(e.details)) {
          throw objectTooLarge(`etcd refused the write as too large (its --max-request-bytes): ${e.details}`);
        }
        if (!isUnavailable(e)) throw err;
        lastError = e;
        if (this.current === index) this.failover();
        if (!idempotent && !notSent(e)) break;
      }
    }
    throw storeUnavailable(
      `etcd did not answer (${this.addresses.join(', ')}): ${(lastError?.details ?? 'unknown error').replace(/\s*Resolution note:.*$/s, '')}`,
      { endpoints: this.addresses },
    );
  }

  private callOnce(endpoint: Endpoint, method: string, request: unknown): Promise<unknown> {
    const fn = endpoint.kv[method] as Unary;
    return new Promise((resolve, reject) => {
      fn.call(
        endpoint.kv,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + this.timeoutMs },
        (err, response) => (err ? reject(err) : resolve(response)),
      );
    });
  }
}

/** Errors after which another member may answer: unreachable, no leader, timed out. */
function isUnavailable(err: grpc.ServiceError): boolean {
  return err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED;
}

/** True when the call never reached a member, so a write can safely be sent to another. */
function notSent(err: grpc.ServiceError): boolean {
  return err.code === grpc.status.UNAVAILABLE && /No connection established|ECONNREFUSED/.test(err.details);
}
