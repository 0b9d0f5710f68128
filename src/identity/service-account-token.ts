import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../common/clock.js';
import type { KubeObject } from '../common/kube-object.js';
import type { Store } from '../store/index.js';
import { IdentityError } from './errors.js';
import type { TokenVerifier } from './token-authenticator.js';
import { serviceAccountUsername, type UserInfo } from './user-info.js';

/** The issuer of ServiceAccount tokens (kubeadm's `--service-account-issuer`), also their default audience. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The file under the data directory holding the signing key. */
export const SERVICE_ACCOUNT_KEY_FILE = 'sa.key';

/** An object a token is bound to: it is valid only while that object exists with this uid. */
export interface BoundObject {
  kind: 'Pod' | 'Secret' | 'Node';
  name: string;
  uid: string;
}

/** What a new token says. */
export interface TokenClaims {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  audiences: string[];
  /** Lifetime in seconds. */
  expirationSeconds: number;
  bound?: BoundObject;
  /** The node of a bound pod (the API server adds it, as Kubernetes 1.30+ does). */
  node?: { name: string; uid: string };
}

interface Payload {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: { name: string; uid: string };
    pod?: { name: string; uid: string };
    secret?: { name: string; uid: string };
    node?: { name: string; uid: string };
  };
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

async function loadOrCreateKey(file: string): Promise<KeyObject> {
  let pem: string | undefined;
  try {
    pem = await readFile(file, 'utf8');
  } catch {
    pem = undefined;
  }
  if (pem !== undefined) {
    try {
      return createPrivateKey(pem);
    } catch (err) {
      throw new IdentityError(
        'IDENTITY_KEY_UNREADABLE',
        500,
        `Cannot read the ServiceAccount signing key ${file}: ${(err as Error).message}; every ServiceAccount token is signed with it, so it is not replaced: restore it or move it away`,
        { path: file },
      );
    }
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return privateKey;
}

/**
 * ServiceAccount tokens as Kubernetes issues them for the TokenRequest API: JWTs signed ES256
 * with a key kept in DATA_DIR/sa.key (0600), issuer `https://kubernetes.default.svc.cluster.local`,
 * `sub` `system:serviceaccount:NS:NAME`, the `kubernetes.io` claims (namespace, serviceaccount,
 * and the pod, secret or node the token is bound to). Tokens are stateless: they authenticate
 * while their signature, issuer, audience and lifetime hold, the ServiceAccount exists with the
 * same uid, and the object they are bound to exists with the same uid (a pod being deleted
 * counts until its grace period ends, as Kubernetes'). The user is the ServiceAccount in
 * `system:serviceaccounts` and `system:serviceaccounts:NS`, with the binding in `extra`.
 */
export class ServiceAccountTokens implements TokenVerifier {
  private readonly publicKey: KeyObject;
  private readonly keyId: string;
  /** Tokens whose signature checked out, to their payload (bounded): one verify per token. */
  private readonly verified = new Map<string, Payload>();

  private constructor(
    private readonly privateKey: KeyObject,
    private readonly store: Pick<Store, 'get'>,
    private readonly clock: Clock,
    private readonly audiences: readonly string[],
  ) {
    this.publicKey = createPublicKey(privateKey);
    const spki = this.publicKey.export({ type: 'spki', format: 'der' });
    this.keyId = b64url(createHash('sha256').update(spki).digest());
  }

  /** Loads the signing key from the data directory, creating it (0600) on first use. */
  static async open(
    dataDir: string,
    store: Pick<Store, 'get'>,
    options: { clock?: Clock } = {},
  ): Promise<ServiceAccountTokens> {
    const key = await loadOrCreateKey(join(dataDir, SERVICE_ACCOUNT_KEY_FILE));
    return new ServiceAccountTokens(key, store, options.clock ?? systemClock, [SERVICE_ACCOUNT_ISSUER]);
  }

  /** The audiences the API server accepts, and gives tokens that ask for none. */
  get apiAudiences(): readonly string[] {
    return this.audiences;
  }

  /** Signs a token; returns it and its expiry (ms since the epoch). */
  issue(claims: TokenClaims): { token: string; expiresAt: number } {
    const now = Math.floor(this.clock.now() / 1000);
    const exp = now + claims.expirationSeconds;
    const ref = (o: { name: string; uid: string }): { name: string; uid: string } => ({
      name: o.name,
      uid: o.uid,
    });
    const payload: Payload = {
      aud: claims.audiences.length > 0 ? claims.audiences : [...this.audiences],
      exp,
      iat: now,
      iss: SERVICE_ACCOUNT_ISSUER,
      jti: randomUUID(),
      'kubernetes.io': {
        namespace: claims.namespace,
        ...(claims.node !== undefined ? { node: ref(claims.node) } : {}),
        ...(claims.bound?.kind === 'Pod' ? { pod: ref(claims.bound) } : {}),
        ...(claims.bound?.kind === 'Secret' ? { secret: ref(claims.bound) } : {}),
        serviceaccount: ref(claims.serviceAccount),
      },
      nbf: now,
      sub: serviceAccountUsername(claims.namespace, claims.serviceAccount.name),
    };
    if (claims.bound?.kind === 'Node') payload['kubernetes.io'].node = ref(claims.bound);
    const head = `${b64url(JSON.stringify({ alg: 'ES256', kid: this.keyId }))}.${b64url(JSON.stringify(payload))}`;
    const signature = sign('sha256', Buffer.from(head), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return { token: `${head}.${b64url(signature)}`, expiresAt: exp * 1000 };
  }

  recognizes(token: string): boolean {
    return JWT.test(token);
  }

  async authenticate(token: string): Promise<UserInfo | undefined> {
    const payload = this.checkSignature(token);
    if (payload === undefined) return undefined;
    const now = this.clock.now() / 1000;
    if (payload.iss !== SERVICE_ACCOUNT_ISSUER || payload.exp <= now || payload.nbf > now + 60)
      return undefined;
    if (!payload.aud.some((a) => this.audiences.includes(a))) return undefined;
    const k8s = payload['kubernetes.io'];
    const sa = await this.store.get('serviceaccounts', k8s.namespace, k8s.serviceaccount.name);
    if (!alive(sa, k8s.serviceaccount.uid, now)) return undefined;
    if (
      k8s.pod !== undefined &&
      !alive(await this.store.get('pods', k8s.namespace, k8s.pod.name), k8s.pod.uid, now)
    )
      return undefined;
    if (
      k8s.secret !== undefined &&
      !alive(await this.store.get('secrets', k8s.namespace, k8s.secret.name), k8s.secret.uid, now)
    )
      return undefined;
    const extra: Record<string, string[]> = {
      'authentication.kubernetes.io/credential-id': [`JTI=${payload.jti}`],
    };
    if (k8s.pod !== undefined) {
      extra['authentication.kubernetes.io/pod-name'] = [k8s.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k8s.pod.uid];
    }
    if (k8s.node !== undefined) {
      extra['authentication.kubernetes.io/node-name'] = [k8s.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [k8s.node.uid];
    }
    return {
      username: payload.sub,
      uid: k8s.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${k8s.namespace}`],
      extra,
    };
  }

  private checkSignature(token: string): Payload | undefined {
    const known = this.verified.get(token);
    if (known !== undefined) return known;
    const [head, body, signature] = token.split('.');
    if (head === undefined || body === undefined || signature === undefined) return undefined;
    let header: { alg?: unknown; kid?: unknown };
    let payload: Payload;
    try {
      header = JSON.parse(Buffer.from(head, 'base64url').toString()) as typeof header;
      payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Payload;
    } catch {
      return undefined;
    }
    if (header.alg !== 'ES256' || header.kid !== this.keyId) return undefined;
    const ok = verify(
      'sha256',
      Buffer.from(`${head}.${body}`),
      { key: this.publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature, 'base64url'),
    );
    if (!ok || !validPayload(payload)) return undefined;
    if (this.verified.size >= 10_000) this.verified.clear();
    this.verified.set(token, payload);
    return payload;
  }
}

function validPayload(p: Payload): boolean {
  const k = p['kubernetes.io'] as Payload['kubernetes.io'] | undefined;
  return (
    typeof p.exp === 'number' &&
    typeof p.nbf === 'number' &&
    Array.isArray(p.aud) &&
    typeof p.sub === 'string' &&
    typeof k?.namespace === 'string' &&
    typeof k.serviceaccount?.name === 'string' &&
    typeof k.serviceaccount.uid === 'string'
  );
}

/** The object exists with that uid and is not past its deletion (a pod's grace period counts). */
function alive(object: KubeObject | undefined, uid: string, nowSeconds: number): boolean {
  if (object === undefined || object.metadata.uid !== uid) return false;
  const deletion = object.metadata.deletionTimestamp;
  return deletion === undefined || Date.parse(deletion) / 1000 > nowSeconds;
}
