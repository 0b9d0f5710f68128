import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { storeUnavailable } from '../errors.js';
import { etcdCredentials, type EtcdTls } from './etcd-client.js';

/** An etcd cluster member (etcdserverpb.Member); IDs are uint64, so kept as decimal text. */
export interface EtcdMember {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** One member's Maintenance Status: its version, database size, and whom it follows. */
export interface EtcdMemberStatus {
  version: string;
  dbSize: number;
  leader: string;
  raftTerm: string;
  errors: string[];
  header: { member_id: string };
}

type Fields = Record<string, { type: string; id: number; rule?: 'repeated' }>;
const message = (fields: Fields): { fields: Fields } => ({ fields });
const unary = (name: string, response: string): Record<string, unknown> => ({
  requestType: name,
  responseType: response,
});
const header = { type: 'ResponseHeader', id: 1 };

/**
 * etcd's Cluster and Maintenance services (rpc.proto): member list, add and remove, and a
 * member's status, which `--cluster-init`/`--join` and `stratus cluster status` use. Loaded
 * apart from the KV descriptor because member IDs are random uint64 values: they are read as
 * strings here, where the store reads revisions as numbers.
 */
const DESCRIPTOR = {
  nested: {
    etcdserverpb: {
      nested: {
        ResponseHeader: message({
          cluster_id: { type: 'uint64', id: 1 },
          member_id: { type: 'uint64', id: 2 },
          revision: { type: 'int64', id: 3 },
          raft_term: { type: 'uint64', id: 4 },
        }),
        Member: message({
          ID: { type: 'uint64', id: 1 },
          name: { type: 'string', id: 2 },
          peerURLs: { type: 'string', id: 3, rule: 'repeated' },
          clientURLs: { type: 'string', id: 4, rule: 'repeated' },
          isLearner: { type: 'bool', id: 5 },
        }),
        MemberAddRequest: message({
          peerURLs: { type: 'string', id: 1, rule: 'repeated' },
          isLearner: { type: 'bool', id: 2 },
        }),
        MemberAddResponse: message({
          header,
          member: { type: 'Member', id: 2 },
          members: { type: 'Member', id: 3, rule: 'repeated' },
        }),
        MemberRemoveRequest: message({ ID: { type: 'uint64', id: 1 } }),
        MemberRemoveResponse: message({ header, members: { type: 'Member', id: 2, rule: 'repeated' } }),
        MemberListRequest: message({ linearizable: { type: 'bool', id: 1 } }),
        MemberListResponse: message({ header, members: { type: 'Member', id: 2, rule: 'repeated' } }),
        StatusRequest: message({}),
        StatusResponse: message({
          header,
          version: { type: 'string', id: 2 },
          dbSize: { type: 'int64', id: 3 },
          leader: { type: 'uint64', id: 4 },
          raftIndex: { type: 'uint64', id: 5 },
          raftTerm: { type: 'uint64', id: 6 },
          raftAppliedIndex: { type: 'uint64', id: 7 },
          errors: { type: 'string', id: 8, rule: 'repeated' },
        }),
        Cluster: {
          methods: {
            MemberAdd: unary('MemberAddRequest', 'MemberAddResponse'),
            MemberRemove: unary('MemberRemoveRequest', 'MemberRemoveResponse'),
            MemberList: unary('MemberListRequest', 'MemberListResponse'),
          },
        },
        Maintenance: { methods: { Status: unary('StatusRequest', 'StatusResponse') } },
      },
    },
  },
};

type ServiceClient = grpc.Client & Record<string, unknown>;
type ServiceCtor = new (address: string, creds: grpc.ChannelCredentials) => ServiceClient;
type Unary = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => void;

let services: { Cluster: ServiceCtor; Maintenance: ServiceCtor } | undefined;

function loadServices(): { Cluster: ServiceCtor; Maintenance: ServiceCtor } {
  if (services !== undefined) return services;
  const definition = protoLoader.fromJSON(
    DESCRIPTOR as unknown as Parameters<typeof protoLoader.fromJSON>[0],
    {
      longs: String,
      defaults: true,
    },
  );
  const pkg = grpc.loadPackageDefinition(definition)['etcdserverpb'] as unknown as Record<
    string,
    ServiceCtor
  >;
  services = { Cluster: pkg['Cluster'] as ServiceCtor, Maintenance: pkg['Maintenance'] as ServiceCtor };
  return services;
}

/**
 * etcd's membership and health calls over gRPC (TLS or plaintext, as EtcdClient): the list of members, adding one (a
 * server joining), removing one (a server leaving), and each member's own status. A call goes
 * to the first address that answers; `status` goes to the one address asked.
 */
export class EtcdClusterClient {
  private readonly clients = new Map<string, { cluster: ServiceClient; maintenance: ServiceClient }>();

  constructor(
    private readonly addresses: readonly string[],
    private readonly options: { callTimeoutMs?: number; tls?: EtcdTls } = {},
  ) {
    if (addresses.length === 0) throw new RangeError('etcd: at least one endpoint is required');
  }

  /** The members, as the first member that answers knows them. */
  async memberList(): Promise<EtcdMember[]> {
    const r = (await this.any('cluster', 'MemberList', {})) as { members: EtcdMember[] };
    return r.members;
  }

  /** Adds a member with these peer URLs; it must then start with `--initial-cluster-state existing`. */
  async memberAdd(peerURLs: string[]): Promise<{ member: EtcdMember; members: EtcdMember[] }> {
    return (await this.any('cluster', 'MemberAdd', { peerURLs })) as {
      member: EtcdMember;
      members: EtcdMember[];
    };
  }

  /** Removes a member by ID (decimal text). */
  async memberRemove(id: string): Promise<void> {
    await this.any('cluster', 'MemberRemove', { ID: id });
  }

  /** The status of the member at `address` (`host:port`): throws when it does not answer. */
  status(address: string): Promise<EtcdMemberStatus> {
    return this.call(address, 'maintenance', 'Status', {}) as Promise<EtcdMemberStatus>;
  }

  close(): Promise<void> {
    for (const c of this.clients.values()) {
      c.cluster.close();
      c.maintenance.close();
    }
    this.clients.clear();
    return Promise.resolve();
  }

  private async any(service: 'cluster' | 'maintenance', method: string, request: unknown): Promise<unknown> {
    let last: unknown;
    for (const address of this.addresses) {
      try {
        return await this.call(address, service, method, request);
      } catch (err) {
        last = err;
      }
    }
    throw storeUnavailable(
      `etcd did not answer ${method} (${this.addresses.join(', ')}): ${(last as Error).message}`,
    );
  }

  private call(
    address: string,
    service: 'cluster' | 'maintenance',
    method: string,
    request: unknown,
  ): Promise<unknown> {
    let pair = this.clients.get(address);
    if (pair === undefined) {
      const { Cluster, Maintenance } = loadServices();
      const creds = etcdCredentials(this.options.tls);
      pair = { cluster: new Cluster(address, creds), maintenance: new Maintenance(address, creds) };
      this.clients.set(address, pair);
    }
    const client = pair[service];
    const fn = client[method] as Unary;
    return new Promise((resolve, reject) => {
      fn.call(
        client,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + (this.options.callTimeoutMs ?? 5_000) },
        (err, response) => (err ? reject(err) : resolve(response)),
      );
    });
  }
}
