import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../client/index.js';
import type { Clock } from '../common/clock.js';
import {
  credentialsFromDockerConfig,
  defaultPullPolicy,
  lookupIn,
  markUsed,
  parseReference,
  pullImage,
  repositoryName,
  type Credentials,
  type ImageStore,
  type UnpackedImage,
} from '../images/index.js';

/** A container whose image is ready: what the runtime gets and the status's `imageID`. */
export interface ImageReady {
  image: UnpackedImage;
  /** As Kubernetes shows it: `docker.io/library/busybox@sha256:…` (the manifest digest). */
  imageID: string;
}

/** A container that must wait: its waiting reason and message, and when to try again. */
export interface ImageWaiting {
  waiting: { reason: string; message: string };
  retryMs: number;
  /** True on the attempt that failed (an Event is due), false while backing off. */
  failedNow: boolean;
}

const INITIAL_MS = 10_000;
const MAX_MS = 300_000;

/**
 * Gets a pod's images ready for a runtime that needs them, as kubelet's image manager does:
 * `imagePullPolicy` (default Always for `:latest` or no tag, else IfNotPresent; Never never
 * pulls), credentials from the pod's `kubernetes.io/dockerconfigjson` imagePullSecrets, one pull
 * per reference at a time, and after a failure `ErrImagePull` then `ImagePullBackOff` with
 * back-off doubling from 10 s to 5 min per pod and image. The message says why (not found,
 * unauthorized, unreachable, digest mismatch).
 */
export class ImagePuller {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly backoff = new Map<string, { delayMs: number; until: number; message: string }>();

  constructor(
    readonly store: ImageStore,
    private readonly client: KubeClient,
    private readonly clock: Clock,
  ) {}

  /** Ready the container's image, or say why it waits. */
  async ensure(pod: Pod, c: Container): Promise<ImageReady | ImageWaiting> {
    const image = c.image ?? '';
    let ref;
    try {
      ref = parseReference(image);
    } catch (err) {
      return {
        waiting: { reason: 'InvalidImageName', message: (err as Error).message },
        retryMs: MAX_MS,
        failedNow: true,
      };
    }
    const policy = c.imagePullPolicy ?? defaultPullPolicy(image);
    const present = await this.store.has(image);
    if (policy === 'Never' && !present) {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      return { waiting: { reason: 'ErrImageNeverPull', message }, retryMs: INITIAL_MS, failedNow: true };
    }
    if (policy === 'Always' || !present) {
      const key = `${pod.metadata?.uid ?? ''}/${image}`;
      const now = this.clock.now();
      const off = this.backoff.get(key);
      if (off !== undefined && off.until > now) {
        return {
          waiting: {
            reason: 'ImagePullBackOff',
            message: `Back-off pulling image "${image}": ${off.message}`,
          },
          retryMs: off.until - now,
          failedNow: false,
        };
      }
      try {
        await this.pullOnce(pod, image);
        this.backoff.delete(key);
      } catch (err) {
        const delayMs = off === undefined ? INITIAL_MS : Math.min(off.delayMs * 2, MAX_MS);
        const message = `Failed to pull image "${image}": ${(err as Error).message}`;
        this.backoff.set(key, { delayMs, until: now + delayMs, message: (err as Error).message });
        return { waiting: { reason: 'ErrImagePull', message }, retryMs: delayMs, failedNow: true };
      }
    }
    const unpacked = await this.store.ensureUnpacked(image);
    await markUsed(this.store, unpacked.digest);
    return { image: unpacked, imageID: `${repositoryName(ref)}@${unpacked.digest}` };
  }

  /** Forgets a pod's back-off (the pod is gone). */
  forget(uid: string): void {
    for (const key of this.backoff.keys()) if (key.startsWith(`${uid}/`)) this.backoff.delete(key);
  }

  /**
   * One pull per reference and credentials at a time: a pod without the secret never rides on
   * the pull of a pod that has it.
   */
  private async pullOnce(pod: Pod, image: string): Promise<unknown> {
    const credentials = lookupIn(await this.pullSecrets(pod));
    const key = `${image}\n${JSON.stringify(credentials(parseReference(image).registry) ?? null)}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const work = pullImage(this.store, image, { credentials });
    this.inflight.set(key, work);
    return work.finally(() => this.inflight.delete(key));
  }

  /** The credentials of the pod's `kubernetes.io/dockerconfigjson` imagePullSecrets (missing ones skipped, as kubelet does). */
  private async pullSecrets(pod: Pod): Promise<Map<string, Credentials>> {
    const out = new Map<string, Credentials>();
    const namespace = pod.metadata?.namespace ?? 'default';
    for (const ref of pod.spec?.imagePullSecrets ?? []) {
      if (!ref.name) continue;
      const secret = (await this.client.get('secrets', ref.name, { namespace }).catch(() => undefined)) as
        { type?: string; data?: Record<string, string> } | undefined;
      const data =
        secret?.type === 'kubernetes.io/dockerconfigjson' ? secret.data?.['.dockerconfigjson'] : undefined;
      if (data === undefined) continue;
      for (const [host, creds] of credentialsFromDockerConfig(Buffer.from(data, 'base64').toString())) {
        if (!out.has(host)) out.set(host, creds);
      }
    }
    return out;
  }
}
