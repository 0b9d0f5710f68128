import { registryNotFound, registryProtocol, registryUnauthorized, registryUnreachable } from './errors.js';
import { basicAuthorization, parseChallenge, type CredentialLookup } from './registry-auth.js';
import { DEFAULT_REGISTRY } from './reference.js';

/** The most a manifest or index may hold (containerd's limit too). */
export const MAX_MANIFEST_BYTES = 4 << 20;
/** The most read of a token service's answer or of an error body. */
const MAX_SMALL_BODY_BYTES = 1 << 20;

/** Passes `source` through, failing with REGISTRY_PROTOCOL once it holds more than `max` bytes. */
export async function* capped(
  source: AsyncIterable<Uint8Array>,
  max: number,
  what: string,
): AsyncGenerator<Uint8Array> {
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > max) throw registryProtocol(`${what} is larger than ${max} bytes`);
    yield chunk;
  }
}

/** A response's body, refused past `max` bytes. */
export async function readCapped(response: Response, max: number, what: string): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  if (response.body) for await (const chunk of capped(response.body, max, what)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Options of a registry client. */
export interface RegistryClientOptions {
  /** Credentials per registry host; default none (anonymous). */
  credentials?: CredentialLookup;
}

/** A request to the registry's `/v2/` API. */
export interface RegistryRequest {
  method?: string;
  /** The path after the host, starting with `/v2/`, or an absolute upload URL (`Location`). */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** The token scope the request needs, `repository:NAME:pull` or `…:pull,push`. */
  scope: string;
}

/** True for a loopback host, where plain http is allowed (as Docker treats localhost as insecure). */
export function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * A client of one registry's OCI distribution API. It answers a 401 as Docker does: a Bearer
 * challenge fetches a token from the realm (with basic credentials when it has some) for the
 * request's scope and caches it per scope; a Basic challenge sends the credentials. Plain http
 * only for loopback registries, https otherwise. Network failures become REGISTRY_UNREACHABLE.
 */
export class RegistryClient {
  readonly base: string;
  private readonly tokens = new Map<string, string>();
  private basic: string | undefined;

  constructor(
    readonly registry: string,
    private readonly options: RegistryClientOptions = {},
  ) {
    const host = registry === DEFAULT_REGISTRY ? 'registry-1.docker.io' : registry;
    this.base = `${isLoopbackHost(host) ? 'http' : 'https'}://${host}`;
  }

  /** Sends a request, authenticating on a 401 and once more; the caller reads the response. */
  async fetch(request: RegistryRequest): Promise<Response> {
    let response = await this.send(request);
    if (response.status !== 401) return response;
    const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
    await response.body?.cancel();
    const credentials = this.options.credentials?.(this.registry);
    if (challenge?.scheme === 'basic') {
      if (!credentials)
        throw registryUnauthorized(`registry ${this.registry} wants credentials and none are configured`);
      this.basic = basicAuthorization(credentials);
    } else if (challenge?.scheme === 'bearer' && challenge.params['realm']) {
      this.tokens.set(request.scope, await this.token(challenge.params, request.scope));
    } else {
      throw registryUnauthorized(
        `registry ${this.registry} refused the request (401) without a usable challenge`,
      );
    }
    response = await this.send(request);
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw registryUnauthorized(
        `registry ${this.registry} refused ${credentials ? `the credentials of "${credentials.username}"` : 'anonymous access'} for ${request.scope}`,
      );
    }
    return response;
  }

  private url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.base}${path}`;
  }

  private async send(request: RegistryRequest): Promise<Response> {
    const headers: Record<string, string> = { ...request.headers };
    const token = this.tokens.get(request.scope);
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    else if (this.basic !== undefined) headers['authorization'] = this.basic;
    try {
      return await fetch(this.url(request.path), {
        method: request.method ?? 'GET',
        headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        redirect: 'follow',
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw registryUnreachable(
        `cannot reach registry ${this.registry}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
  }

  private async token(params: Record<string, string>, scope: string): Promise<string> {
    const url = new URL(params['realm'] ?? '');
    if (params['service']) url.searchParams.set('service', params['service']);
    url.searchParams.set('scope', scope);
    const credentials = this.options.credentials?.(this.registry);
    let response: Response;
    try {
      response = await fetch(
        url,
        credentials ? { headers: { authorization: basicAuthorization(credentials) } } : {},
      );
    } catch (err) {
      throw registryUnreachable(
        `cannot reach the token service ${url.origin} of ${this.registry}: ${(err as Error).message}`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      throw registryUnauthorized(
        `the token service of ${this.registry} refused ${credentials ? `"${credentials.username}"` : 'anonymous access'}`,
      );
    }
    if (!response.ok)
      throw registryProtocol(`the token service of ${this.registry} answered ${response.status}`);
    let body: { token?: string; access_token?: string };
    try {
      const text = await readCapped(response, MAX_SMALL_BODY_BYTES, `the token of ${this.registry}`);
      body = JSON.parse(text.toString()) as typeof body;
    } catch (err) {
      if (err instanceof SyntaxError)
        throw registryProtocol(`the token service of ${this.registry} sent no JSON`);
      throw err;
    }
    const token = body.token ?? body.access_token;
    if (!token) throw registryProtocol(`the token service of ${this.registry} sent no token`);
    return token;
  }
}

/** Turns an unexpected registry answer into the error a user reads (404s as REGISTRY_NOT_FOUND). */
export async function responseError(response: Response, what: string): Promise<Error> {
  const text = await readCapped(response, MAX_SMALL_BODY_BYTES, what)
    .then((bytes) => bytes.toString())
    .catch(() => '');
  let detail = text.slice(0, 200);
  try {
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    if (doc.errors?.[0]) detail = `${doc.errors[0].code ?? ''}: ${doc.errors[0].message ?? ''}`;
  } catch {
    // Not the registry's JSON error body: keep the text.
  }
  if (response.status === 404) return registryNotFound(`${what}: not found (${detail})`);
  if (response.status === 401 || response.status === 403)
    return registryUnauthorized(`${what}: ${response.status} ${detail}`);
  return registryProtocol(`${what}: registry answered ${response.status} ${detail}`);
}
