import { randomBytes } from 'node:crypto';
import { BufferBody } from '../body/index.js';
import { FileBody } from '../body/index.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { Readable, pipeline } from 'node:stream';
import { systemClock, type Clock } from '../../common/clock.js';
import {
  ConnectionGuard,
  openFileLimit,
  resolveLimits,
  sniffTls,
  urlHost,
  type ConnectionLimits,
  type GuardStats,
} from '../../connections/index.js';
import { S3_CONNECTION_LIMITS, slowDown } from './connections.js';
import type { BucketInfo, ObjectStore } from '../object-store.js';
import { authenticate, type AuthResult } from './auth.js';
import { accessHandlers } from './access-handlers.js';
import { bucketWithAccess, checkAccess, checkExpectedOwner, type AccessRequest } from './access-check.js';
import type { GranteeResolver } from './acl.js';
import { aclHandlers } from './acl-handlers.js';
import { AccessCache, type ResolvedAccess } from './bucket-access.js';
import { bucketHandlers } from './bucket-handlers.js';
import { type Handler, type S3Context, type S3Reply, checkKey } from './context.js';
import { copyHandlers } from './copy-handler.js';
import { corsHeaders, matchCorsRule } from './cors.js';
import type { CredentialStore } from './credentials.js';
import { ObjectStoreError } from '../errors.js';
import { errorXml, toErrorReply } from './errors-xml.js';
import { attributesHandlers } from './attributes-handler.js';
import { lifecycleHandlers } from './lifecycle-handlers.js';
import { listHandlers } from './list-handlers.js';
import { multipartHandlers } from './multipart-handlers.js';
import { objectHandlers } from './object-handlers.js';
import { authenticateForm } from './post-auth.js';
import { postHandlers } from './post-object.js';
import { requestBody } from './request-body.js';
import { resolveAddress, routeOperation, type S3Address, type S3Operation } from './routes.js';
import { headerMap, parseQuery, percentDecode } from './sigv4.js';
import { taggingHandlers } from './tagging-handlers.js';
import { admitQuota, type S3Quota } from './quota.js';

/** Options of startS3Gateway. */
export interface S3GatewayOptions {
  objectStore: ObjectStore;
  credentials: CredentialStore;
  /** Default 9000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default us-east-1. */
  region?: string;
  clock?: Clock;
  /** Domains under which `BUCKET.domain` is virtual-hosted style; default `localhost`, `s3.localhost`. */
  baseDomains?: string[];
  /**
   * A connection that moves no byte for this long during a request is closed; default 2 minutes.
   * There is no limit on a whole request: a 5 GiB upload over a slow link may take an hour.
   */
  idleTimeoutMs?: number;
  /** Timeouts and caps of the port's connections; defaults `S3_CONNECTION_LIMITS` (`resolveLimits`). */
  connections?: ConnectionLimits;
  /**
   * A serving certificate (PEM, chain after it) and key: the port speaks HTTPS only, and a plain
   * HTTP request is answered 400 naming https. Without it the port speaks plain HTTP.
   */
  tls?: { cert: string; key: string };
  /** The cluster's ResourceQuotas on buckets and their bytes (`admitQuota`); none when absent. */
  quota?: S3Quota;
  /** Told of every request once answered (metrics): its operation, status, time and bytes. */
  onRequest?: (r: S3RequestRecord) => void;
}

/** One answered request, for `S3GatewayOptions.onRequest`. */
export interface S3RequestRecord {
  /** The S3 operation, or `Unknown` when the request failed before it was routed. */
  operation: string;
  status: number;
  seconds: number;
  /** Bytes read and written on the connection for this request, headers included. */
  bytesIn: number;
  bytesOut: number;
  /** The bucket of an authenticated request to one (usage metering bills its requests and bytes). */
  bucket?: string;
}

/** A running gateway. */
export interface S3Gateway {
  /** `https://host:port` (with `tls`) or `http://host:port`. */
  url: string;
  /** Serves a renewed certificate from the next TLS handshake on (a gateway with `tls` only). */
  setTls(pair: { cert: string; key: string }): void;
  /** What the port's connection guard did (refusals, timeouts); for metrics and tests. */
  connectionStats: GuardStats;
  close(): Promise<void>;
}

const HANDLERS: Partial<Record<S3Operation, Handler>> = {
  ...bucketHandlers,
  ...listHandlers,
  ...objectHandlers,
  ...copyHandlers,
  ...taggingHandlers,
  ...multipartHandlers,
  ...aclHandlers,
  ...accessHandlers,
  ...lifecycleHandlers,
  ...attributesHandlers,
  ...postHandlers,
};

interface Shared {
  store: ObjectStore;
  credentials: CredentialStore;
  region: string;
  clock: Clock;
  baseDomains: string[];
  quota: S3Quota | undefined;
  onRequest?: (r: S3RequestRecord) => void;
  /** Parsed bucket access settings by bucket and row version. */
  access: AccessCache;
  grantees: GranteeResolver;
  /** Whether the port speaks TLS (the `aws:SecureTransport` condition key). */
  secure: boolean;
}

/** The empty header set (compared by identity: no merge needed). */
const NO_HEADERS: Record<string, string> = Object.freeze({});

/**
 * Discards what is left of a request's body, so that the client, which may still be sending it,
 * reads the answer and the connection stays usable. The body's consumers go first: one the
 * handler abandoned (a write refused before it read the body) would hold the socket paused.
 */
function drain(req: IncomingMessage): void {
  if (req.complete) return;
  req.unpipe();
  req.resume();
}

/**
 * Writes a reply: status and every header in one `writeHead` with a flat name/value array (Node
 * validates each name and value as `setHeader` would, without building its header object), the
 * request id headers first, then `extra` (CORS) overridden by the reply's own headers.
 */
function send(
  res: ServerResponse,
  reply: S3Reply,
  head: boolean,
  extra: Record<string, string>,
  requestId: string,
): Promise<void> {
  const body = reply.body;
  const noBody = head || reply.status === 204 || reply.status === 304;
  const own = reply.headers;
  const merged = own === undefined ? extra : extra === NO_HEADERS ? own : { ...extra, ...own };
  const flat: string[] = ['x-amz-request-id', requestId, 'x-amz-id-2', requestId, 'server', 'Stratus'];
  for (const k in merged) flat.push(k, merged[k] as string);
  if (body === undefined || noBody) {
    if (body instanceof Readable) body.destroy();
    if (!noBody) flat.push('content-length', '0');
    res.writeHead(reply.status, flat);
    res.end();
    return Promise.resolve();
  }
  if (body instanceof BufferBody) {
    // An in-memory body (inline object) goes out with the headers in one write.
    res.writeHead(reply.status, flat);
    res.end(body.buffer);
    return Promise.resolve();
  }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    flat.push('content-length', String(Buffer.byteLength(body)));
    res.writeHead(reply.status, flat);
    res.end(body);
    return Promise.resolve();
  }
  try {
    res.writeHead(reply.status, flat);
  } catch (err) {
    body.destroy();
    throw err;
  }
  if (body instanceof FileBody) {
    // A stored file goes out through a few reused buffers; a failure cuts the reply short.
    return body.sendTo(res, res.req.socket).then(
      () => void res.end(),
      (err: unknown) => {
        // A client that went away is not news; a read that failed (a corrupt copy) is.
        if (!clientGone(err))
          console.error(`s3 gateway: request ${requestId} failed while sending its body:`, err);
      },
    );
  }
  return new Promise((resolve) => {
    pipeline(body, res, () => resolve());
  });
}

/** True for the errors of writing to a client that closed its connection. */
function clientGone(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

function sendError(
  res: ServerResponse,
  err: unknown,
  head: boolean,
  resource: string,
  requestId: string,
  extra: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A writeHead that threw (an invalid header value) may have left its status message behind.
  res.statusMessage = '';
  const reply = toErrorReply(err);
  if (reply.status >= 500) console.error(`s3 gateway: request ${requestId} ${resource} failed:`, err);
  const headers: Record<string, string> = { ...extra };
  const details = reply.extra;
  if (details.isDeleteMarker === true) headers['x-amz-delete-marker'] = 'true';
  const versionId = details.versionId;
  if (typeof versionId === 'string' && versionId !== 'null' && /^[\x21-\x7e]{1,1024}$/.test(versionId)) {
    headers['x-amz-version-id'] = versionId;
  }
  if (reply.code === 'NotModified') {
    void send(res, { status: 304, headers }, true, NO_HEADERS, requestId);
    return;
  }
  const body = head ? undefined : errorXml(reply, resource, requestId);
  void send(
    res,
    {
      status: reply.status,
      headers: { ...headers, 'content-type': 'application/xml' },
      ...(body === undefined ? {} : { body }),
    },
    head,
    NO_HEADERS,
    requestId,
  );
}

/** True when a request carries no signature at all (no Authorization, no presigned or V2 query). */
function unsigned(req: IncomingMessage, query: ReadonlyMap<string, string>): boolean {
  return (
    req.headers.authorization === undefined &&
    !query.has('X-Amz-Algorithm') &&
    !query.has('X-Amz-Signature') &&
    !query.has('AWSAccessKeyId')
  );
}

const ANONYMOUS: AuthResult = { user: '', accessKeyId: '', payload: 'unsigned' };

async function preflight(shared: Shared, req: IncomingMessage, address: S3Address): Promise<S3Reply> {
  const origin = req.headers.origin;
  const method = req.headers['access-control-request-method'];
  if (origin === undefined || method === undefined) {
    throw new ObjectStoreError(
      'InvalidRequest',
      'Insufficient information. Origin and Access-Control-Request-Method request headers are needed.',
    );
  }
  const requested = (req.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const info = address.bucket === undefined ? undefined : await shared.store.getBucket(address.bucket);
  const rule = matchCorsRule(info?.cors, origin, method, requested);
  if (rule === undefined)
    throw new ObjectStoreError(
      'AccessForbidden',
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    );
  return { status: 200, headers: corsHeaders(rule, origin, { requestHeaders: requested }) };
}

/**
 * Where each connection's byte counts stood when its last request was reported. A request counts
 * from there rather than from its own start: by then the server has read its headers and the
 * start of its body (16 KiB of 64 KiB in a test), which would otherwise count for no request.
 */
const reported = new WeakMap<Duplex, { read: number; written: number }>();

/** Reports a request to `hook` once its answer ends or its connection goes. */
function observe(
  hook: (r: S3RequestRecord) => void,
  req: IncomingMessage,
  res: ServerResponse,
  seen: { operation: string; bucket?: string },
): void {
  const started = performance.now();
  const socket = req.socket;
  const { read, written } = reported.get(socket) ?? { read: 0, written: 0 };
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    reported.set(socket, { read: socket.bytesRead, written: socket.bytesWritten });
    hook({
      operation: seen.operation,
      status: res.statusCode,
      seconds: (performance.now() - started) / 1000,
      bytesIn: socket.bytesRead - read,
      bytesOut: socket.bytesWritten - written,
      ...(seen.bucket !== undefined ? { bucket: seen.bucket } : {}),
    });
  };
  res.on('finish', finish);
  res.on('close', finish);
}

/** Request ids: a random per-process prefix and a counter (unique, and no entropy drawn per request). */
const REQUEST_ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let requestCounter = 0;

function nextRequestId(): string {
  requestCounter = (requestCounter + 1) % 0x100000000;
  return REQUEST_ID_PREFIX + requestCounter.toString(16).toUpperCase().padStart(8, '0');
}

/**
 * Serves one request. With `expectContinue` (the client sent `Expect: 100-continue` and waits),
 * `100 Continue` goes out only when the handler starts reading the body, after authentication,
 * the bucket and the size were checked; a request refused before that is answered with the
 * final status alone and the connection closed, so its body is never sent.
 */
async function handle(
  shared: Shared,
  req: IncomingMessage,
  res: ServerResponse,
  expectContinue = false,
): Promise<void> {
  const requestId = nextRequestId();
  let continued = !expectContinue;
  const sendContinue = (): void => {
    if (continued) return;
    continued = true;
    res.writeContinue();
  };
  const seen: { operation: string; bucket?: string } = { operation: 'Unknown' };
  if (shared.onRequest !== undefined) observe(shared.onRequest, req, res, seen);
  const method = (req.method ?? 'GET').toUpperCase();
  const head = method === 'HEAD';
  let resource = '/';
  let cors: Record<string, string> = NO_HEADERS;
  let bodyError: () => Error | undefined = () => undefined;
  try {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = percentDecode(q < 0 ? rawUrl : rawUrl.slice(0, q));
    resource = path;
    const queryPairs = parseQuery(q < 0 ? '' : rawUrl.slice(q + 1));
    const query = new Map<string, string>();
    for (const [k, v] of queryPairs) if (!query.has(k)) query.set(k, v);
    const address = resolveAddress(req.headers.host, path, shared.baseDomains);
    if (address.bucket !== undefined && path.startsWith('/' + address.bucket) === false) {
      resource = `/${address.bucket}${path}`;
    }
    if (method === 'OPTIONS') {
      await send(res, await preflight(shared, req, address), false, NO_HEADERS, requestId);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && address.bucket !== undefined) {
      // CORS headers go on errors too (auth failures included), so browsers can read them.
      const info = await shared.store.getBucket(address.bucket);
      const rule = matchCorsRule(info?.cors, origin, method);
      if (rule !== undefined) cors = corsHeaders(rule, origin);
    }
    const anonymous = unsigned(req, query);
    const auth = anonymous
      ? ANONYMOUS
      : await authenticate(
          { method, path, query: queryPairs, headers: headerMap(req.rawHeaders) },
          shared.credentials,
          shared.clock.now(),
        );
    const operation = routeOperation(method, address, query, req.headers['x-amz-copy-source'] !== undefined);
    seen.operation = operation;
    const requester = anonymous ? undefined : auth.user;
    const accessRequest = (bucket: string, key: string | undefined): AccessRequest => ({
      operation,
      bucket,
      key,
      user: requester,
      query,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
      secure: shared.secure,
      now: shared.clock.now(),
    });
    if (address.bucket !== undefined) seen.bucket = address.bucket;
    let bucketInfo: BucketInfo | undefined;
    let access: ResolvedAccess | undefined;
    if (address.bucket === undefined || operation === 'CreateBucket') {
      if (anonymous)
        throw new ObjectStoreError('AccessDenied', 'Anonymous users cannot list or create buckets');
    } else {
      // A refusal keeps the bucket's CORS headers, as on AWS (CORS is decided before access), so
      // that a browser can read why.
      ({ info: bucketInfo, access } = await bucketWithAccess(shared.store, shared.access, address.bucket));
      checkExpectedOwner(req.headers, 'x-amz-expected-bucket-owner', bucketInfo.owner);
      // A POST form names its user in its fields: its handler checks access once it has read them.
      if (operation !== 'PostObject')
        await checkAccess(shared.store, bucketInfo, access, accessRequest(address.bucket, address.key));
    }
    if (address.key !== undefined) checkKey(address.key);
    const handler = HANDLERS[operation];
    if (handler === undefined)
      throw new ObjectStoreError('NotImplemented', `${operation} is not implemented`);
    const body = requestBody(req, auth, sendContinue);
    bodyError = () => body.error();
    const ctx: S3Context = {
      requestId,
      operation,
      method,
      bucket: address.bucket,
      key: address.key,
      bucketInfo,
      query,
      headers: req.headers,
      user: auth.user,
      anonymous,
      access,
      grantees: shared.grantees,
      authorizeRead: async (bucket, key, versionId) => {
        const source = await bucketWithAccess(shared.store, shared.access, bucket);
        checkExpectedOwner(req.headers, 'x-amz-source-expected-bucket-owner', source.info.owner);
        const q = new Map<string, string>(versionId === undefined ? [] : [['versionId', versionId]]);
        await checkAccess(shared.store, source.info, source.access, {
          ...accessRequest(bucket, key),
          operation: 'GetObject',
          query: q,
        });
      },
      post: {
        authenticate: (fields) => authenticateForm(fields, shared.credentials),
        authorize: async (user, key, headers) => {
          if (bucketInfo === undefined || access === undefined || address.bucket === undefined)
            throw new RangeError('POST Object needs a bucket');
          await checkAccess(shared.store, bucketInfo, access, {
            ...accessRequest(address.bucket, key),
            operation: 'PutObject',
            user,
            headers,
          });
        },
        origin: `${shared.secure ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`,
      },
      region: shared.region,
      store: shared.store,
      clock: shared.clock,
      body: () => body.stream(),
      readBody: (limit = 1024 * 1024) => body.read(limit),
      size: body.size,
      checksum: body.checksum,
    };
    const settle = await admitQuota(shared.quota, ctx);
    let reply: S3Reply | undefined;
    try {
      reply = await handler(ctx);
    } finally {
      settle?.(reply !== undefined);
    }
    await send(res, reply, head, continued ? cors : { ...cors, connection: 'close' }, requestId);
  } catch (err) {
    // The engine reports a failed body as IncompleteBody; the body's own error says why.
    const cause = bodyError();
    // The client holds its body back until 100 Continue: none comes, so the connection ends.
    const extra = continued ? cors : { ...cors, connection: 'close' };
    sendError(res, cause instanceof ObjectStoreError ? cause : err, head, resource, requestId, extra);
  } finally {
    drain(req);
  }
}

/**
 * Starts the S3 gateway: an HTTP server that authenticates SigV4 requests against `credentials`,
 * routes path-style and virtual-hosted-style requests to the S3 operations and serves them from
 * `objectStore`. Every failure becomes an S3 XML error; nothing a client sends can crash it.
 */
export async function startS3Gateway(options: S3GatewayOptions): Promise<S3Gateway> {
  const shared: Shared = {
    store: options.objectStore,
    credentials: options.credentials,
    region: options.region ?? 'us-east-1',
    clock: options.clock ?? systemClock,
    // A private copy: routes.ts caches the sorted form per array.
    baseDomains: [...(options.baseDomains ?? ['localhost', 's3.localhost'])],
    quota: options.quota,
    access: new AccessCache(),
    grantees: options.credentials.grantees?.() ?? { byId: () => undefined, byEmail: () => undefined },
    secure: options.tls !== undefined,
    ...(options.onRequest !== undefined ? { onRequest: options.onRequest } : {}),
  };
  // The guard accepts the connections, so node's own header and request timeouts (which cut a
  // large upload after 5 minutes) never run: the guard's apply instead.
  const limits = resolveLimits(options.connections, S3_CONNECTION_LIMITS, openFileLimit());
  const serve =
    (expectContinue: boolean) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      handle(shared, req, res, expectContinue).catch((err: unknown) => {
        console.error('s3 gateway: unhandled request failure', err);
        res.destroy();
      });
    };
  const handler = serve(false);
  const keepAliveTimeout = limits.keepAliveTimeoutMs;
  const tls = options.tls;
  const server =
    tls === undefined
      ? createServer({ keepAliveTimeout }, handler)
      : createHttpsServer({ cert: tls.cert, key: tls.key, keepAliveTimeout }, handler);
  // Without a 'timeout' listener node destroys a socket that stayed idle this long.
  server.setTimeout(options.idleTimeoutMs ?? 120_000);
  server.on('clientError', (_err: Error, socket: Duplex) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.on('tlsClientError', () => undefined);
  server.on('checkContinue', serve(true));
  // Any other Expect value (empty, `200`, …) is ignored, as AWS does (conformance suites put
  // objects with `Expect: 200` and expect success), instead of node's bare 417.
  server.on('checkExpectation', handler);
  const guard = new ConnectionGuard({
    limits,
    servers: [server],
    dispatch:
      tls === undefined
        ? (socket) => server.emit('connection', socket)
        : sniffTls({ tls: server, refusal: 'this S3 endpoint speaks https only' }),
    // A TLS port cannot answer before the handshake: a connection over a cap is closed.
    ...(tls === undefined ? { refusal: slowDown } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  await guard.listen(options.port ?? 9000, host);
  const addr = guard.address();
  if (addr === undefined) throw new RangeError('the S3 gateway is not listening');
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${urlHost(addr, host)}:${addr.port}`,
    setTls: (pair) => {
      if (!(server instanceof HttpsServer)) throw new RangeError('the S3 gateway was started without TLS');
      server.setSecureContext({ cert: pair.cert, key: pair.key });
    },
    connectionStats: guard.stats,
    close: () => guard.close(),
  };
}
