import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/index.js';
import type { Clock } from '../common/clock.js';
import type { TokenSource } from '../runtime/index.js';

interface Held {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

const key = (s: TokenSource): string => `${s.audience ?? ''}|${s.expirationSeconds}`;
/** A token is renewed past 80 % of its life or after a day, as the kubelet's token manager does. */
const DAY_MS = 86_400_000;

/** The ServiceAccount token sources of a pod's projected volumes. */
export function tokenSources(pod: Pod): TokenSource[] {
  const out: TokenSource[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    for (const s of v.projected?.sources ?? []) {
      const t = s.serviceAccountToken;
      if (t === undefined || t === null) continue;
      out.push({
        expirationSeconds: t.expirationSeconds ?? 3600,
        ...(t.audience ? { audience: t.audience } : {}),
      });
    }
  }
  return out;
}

/**
 * The ServiceAccount tokens of one pod's projected volumes, as the kubelet's token manager keeps
 * them: asked for with the TokenRequest API, bound to the pod (so they stop working when it is
 * deleted), and renewed once 80 % of their life (or a day) has passed.
 */
export class PodTokens {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly client: KubeClient,
    private readonly clock: Clock,
  ) {}

  /** True when a token the pod uses is missing or due for renewal. */
  due(pod: Pod): boolean {
    const now = this.clock.now();
    return tokenSources(pod).some((s) => {
      const h = this.held.get(key(s));
      if (h === undefined) return true;
      return now >= h.issuedAt + Math.min(0.8 * (h.expiresAt - h.issuedAt), DAY_MS);
    });
  }

  /** Asks for every token that is missing or due. */
  async refresh(pod: Pod): Promise<void> {
    const meta = pod.metadata ?? {};
    const sa = pod.spec?.serviceAccountName ?? 'default';
    for (const source of tokenSources(pod)) {
      const h = this.held.get(key(source));
      const now = this.clock.now();
      if (h !== undefined && now < h.issuedAt + Math.min(0.8 * (h.expiresAt - h.issuedAt), DAY_MS)) continue;
      const res = await this.client.request<{ status?: { token?: string; expirationTimestamp?: string } }>(
        'POST',
        `/api/v1/namespaces/${meta.namespace ?? 'default'}/serviceaccounts/${sa}/token`,
        {
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: {
              ...(source.audience !== undefined ? { audiences: [source.audience] } : {}),
              expirationSeconds: source.expirationSeconds,
              boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: meta.name ?? '', uid: meta.uid ?? '' },
            },
          },
        },
      );
      const token = res.body.status?.token;
      if (token === undefined)
        throw new Error(`the TokenRequest for pod ${meta.name ?? ''} returned no token`);
      const expiresAt =
        Date.parse(res.body.status?.expirationTimestamp ?? '') || now + source.expirationSeconds * 1000;
      this.held.set(key(source), { token, issuedAt: now, expiresAt });
    }
  }

  /** The token held for a source, if any. */
  token(source: TokenSource): string | undefined {
    return this.held.get(key(source))?.token;
  }
}
