/**
 * The part of etcd's v3 gRPC API (package `etcdserverpb`, rpc.proto and mvccpb's kv.proto) this
 * store uses, as a protobuf.js JSON descriptor for `@grpc/proto-loader`'s `fromJSON`: the KV and
 * Watch services and their messages, with etcd's field numbers. Kept in code, not as .proto
 * files, so the bundled CLI needs no files beside it. Fields the store never sends or reads
 * (auth, leases, fragments) are left out; protobuf skips unknown fields on the wire.
 */

type Fields = Record<string, { type: string; id: number; rule?: 'repeated' }>;

function message(fields: Fields, oneofs?: Record<string, string[]>): Record<string, unknown> {
  return oneofs === undefined ? { fields } : { fields, oneofs: mapOneofs(oneofs) };
}

function mapOneofs(oneofs: Record<string, string[]>): Record<string, { oneof: string[] }> {
  return Object.fromEntries(Object.entries(oneofs).map(([k, v]) => [k, { oneof: v }]));
}

const header = { type: 'ResponseHeader', id: 1 };

const messages = {
  ResponseHeader: message({
    cluster_id: { type: 'uint64', id: 1 },
    member_id: { type: 'uint64', id: 2 },
    revision: { type: 'int64', id: 3 },
    raft_term: { type: 'uint64', id: 4 },
  }),
  KeyValue: message({
    key: { type: 'bytes', id: 1 },
    create_revision: { type: 'int64', id: 2 },
    mod_revision: { type: 'int64', id: 3 },
    version: { type: 'int64', id: 4 },
    value: { type: 'bytes', id: 5 },
    lease: { type: 'int64', id: 6 },
  }),
  Event: message({
    type: { type: 'EventType', id: 1 },
    kv: { type: 'KeyValue', id: 2 },
    prev_kv: { type: 'KeyValue', id: 3 },
  }),
  RangeRequest: message({
    key: { type: 'bytes', id: 1 },
    range_end: { type: 'bytes', id: 2 },
    limit: { type: 'int64', id: 3 },
    revision: { type: 'int64', id: 4 },
    serializable: { type: 'bool', id: 7 },
    keys_only: { type: 'bool', id: 8 },
    count_only: { type: 'bool', id: 9 },
  }),
  RangeResponse: message({
    header,
    kvs: { type: 'KeyValue', id: 2, rule: 'repeated' },
    more: { type: 'bool', id: 3 },
    count: { type: 'int64', id: 4 },
  }),
  PutRequest: message({
    key: { type: 'bytes', id: 1 },
    value: { type: 'bytes', id: 2 },
    prev_kv: { type: 'bool', id: 4 },
  }),
  PutResponse: message({ header, prev_kv: { type: 'KeyValue', id: 2 } }),
  DeleteRangeRequest: message({
    key: { type: 'bytes', id: 1 },
    range_end: { type: 'bytes', id: 2 },
    prev_kv: { type: 'bool', id: 3 },
  }),
  DeleteRangeResponse: message({
    header,
    deleted: { type: 'int64', id: 2 },
    prev_kvs: { type: 'KeyValue', id: 3, rule: 'repeated' },
  }),
  RequestOp: message(
    {
      request_range: { type: 'RangeRequest', id: 1 },
      request_put: { type: 'PutRequest', id: 2 },
      request_delete_range: { type: 'DeleteRangeRequest', id: 3 },
    },
    { request: ['request_range', 'request_put', 'request_delete_range'] },
  ),
  ResponseOp: message(
    {
      response_range: { type: 'RangeResponse', id: 1 },
      response_put: { type: 'PutResponse', id: 2 },
      response_delete_range: { type: 'DeleteRangeResponse', id: 3 },
    },
    { response: ['response_range', 'response_put', 'response_delete_range'] },
  ),
  Compare: message(
    {
      result: { type: 'CompareResult', id: 1 },
      target: { type: 'CompareTarget', id: 2 },
      key: { type: 'bytes', id: 3 },
      version: { type: 'int64', id: 4 },
      create_revision: { type: 'int64', id: 5 },
      mod_revision: { type: 'int64', id: 6 },
    },
    { target_union: ['version', 'create_revision', 'mod_revision'] },
  ),
  TxnRequest: message({
    compare: { type: 'Compare', id: 1, rule: 'repeated' },
    success: { type: 'RequestOp', id: 2, rule: 'repeated' },
    failure: { type: 'RequestOp', id: 3, rule: 'repeated' },
  }),
  TxnResponse: message({
    header,
    succeeded: { type: 'bool', id: 2 },
    responses: { type: 'ResponseOp', id: 3, rule: 'repeated' },
  }),
  CompactionRequest: message({ revision: { type: 'int64', id: 1 }, physical: { type: 'bool', id: 2 } }),
  CompactionResponse: message({ header }),
  WatchRequest: message(
    {
      create_request: { type: 'WatchCreateRequest', id: 1 },
      cancel_request: { type: 'WatchCancelRequest', id: 2 },
      progress_request: { type: 'WatchProgressRequest', id: 3 },
    },
    { request_union: ['create_request', 'cancel_request', 'progress_request'] },
  ),
  WatchCreateRequest: message({
    key: { type: 'bytes', id: 1 },
    range_end: { type: 'bytes', id: 2 },
    start_revision: { type: 'int64', id: 3 },
    progress_notify: { type: 'bool', id: 4 },
    prev_kv: { type: 'bool', id: 6 },
  }),
  WatchCancelRequest: message({ watch_id: { type: 'int64', id: 1 } }),
  WatchProgressRequest: message({}),
  WatchResponse: message({
    header,
    watch_id: { type: 'int64', id: 2 },
    created: { type: 'bool', id: 3 },
    canceled: { type: 'bool', id: 4 },
    compact_revision: { type: 'int64', id: 5 },
    cancel_reason: { type: 'string', id: 6 },
    events: { type: 'Event', id: 11, rule: 'repeated' },
  }),
};

const enums = {
  EventType: { values: { PUT: 0, DELETE: 1 } },
  CompareResult: { values: { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 } },
  CompareTarget: { values: { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 } },
};

const unary = (name: string, response: string): Record<string, unknown> => ({
  requestType: name,
  responseType: response,
});

/** The descriptor: `etcdserverpb.KV` and `etcdserverpb.Watch` with their messages. */
export const ETCD_DESCRIPTOR = {
  nested: {
    etcdserverpb: {
      nested: {
        ...messages,
        ...enums,
        KV: {
          methods: {
            Range: unary('RangeRequest', 'RangeResponse'),
            Put: unary('PutRequest', 'PutResponse'),
            DeleteRange: unary('DeleteRangeRequest', 'DeleteRangeResponse'),
            Txn: unary('TxnRequest', 'TxnResponse'),
            Compact: unary('CompactionRequest', 'CompactionResponse'),
          },
        },
        Watch: {
          methods: {
            Watch: {
              requestType: 'WatchRequest',
              responseType: 'WatchResponse',
              requestStream: true,
              responseStream: true,
            },
          },
        },
      },
    },
  },
};
