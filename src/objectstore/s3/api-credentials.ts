import type { KubeClient } from '../../client/index.js';
import { StatusError } from '../../client/index.js';
import type { KubeObject } from '../../common/kube-object.js';
import { Informer } from '../../machinery/index.js';
import { ACCESS_KEY_RESOURCE, toAccessKey, type CredentialStore } from './credentials.js';

/**
 * Access keys read through the API as the gateway's own identity (`system:stratus:s3-gateway`):
 * an informer on `accesskeys.iam.stratus.dev` keeps them in memory; a key missing from the cache
 * (created a moment ago) is fetched once. `active` decides whether a key's user still exists: a
 * removed user's keys answer as unknown keys (`InvalidAccessKeyId`), as AWS answers for the keys
 * of a deleted IAM user.
 */
export class ApiCredentials implements CredentialStore {
  private readonly keys: Informer;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly active: (user: string) => Promise<boolean> = () => Promise.resolve(true),
  ) {
    this.keys = new Informer(client, ACCESS_KEY_RESOURCE);
  }

  async lookup(accessKeyId: string): Promise<{ secretAccessKey: string; user: string } | undefined> {
    this.starting ??= this.keys.start();
    await this.starting;
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(accessKeyId)) return undefined;
    let object: KubeObject | undefined = this.keys.getByKey(accessKeyId);
    if (object === undefined) {
      try {
        object = await this.client.get(ACCESS_KEY_RESOURCE, accessKeyId);
      } catch (err) {
        if (err instanceof StatusError && err.status === 404) return undefined;
        throw err;
      }
    }
    const key = toAccessKey(object);
    if (key === undefined || !(await this.active(key.user))) return undefined;
    return { secretAccessKey: key.secretAccessKey, user: key.user };
  }

  async close(): Promise<void> {
    await this.keys.close();
  }
}
