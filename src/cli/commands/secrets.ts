import { StatusError, type KubeClient } from '../../client/index.js';
import type { KubeObject } from '../../common/kube-object.js';
import { write, type Command } from '../command.js';
import { UsageError } from '../errors.js';

const USAGE = `Usage: stratus secrets reencrypt

  reencrypt   write every Secret and AccessKey back unchanged, so that each is stored
              encrypted with the first key of the server's encryption configuration
              (as kubectl get secrets -A -o json | kubectl replace -f -). Run it after
              putting a new key first, before removing the old one.`;

/** The resources Stratus encrypts at rest. */
const RESOURCES = ['secrets', 'accesskeys.iam.stratus.dev'];

/**
 * Writes one object back as read; the server stores it again only when its stored form is
 * stale (another key, or none, sealed it). True when it was rewritten. A conflict (someone
 * wrote it meanwhile, which re-encrypted it) is retried from a fresh read.
 */
async function rewrite(client: KubeClient, resource: string, object: KubeObject): Promise<boolean> {
  let current = object;
  for (let attempt = 0; ; attempt++) {
    try {
      const written = await client.update(resource, current);
      return written.metadata.resourceVersion !== current.metadata.resourceVersion;
    } catch (err) {
      if (!(err instanceof StatusError) || attempt >= 4) throw err;
      if (err.status === 404) return false;
      if (err.status !== 409) throw err;
      const ns = current.metadata.namespace;
      current = await client.get(
        resource,
        current.metadata.name ?? '',
        ns === undefined ? {} : { namespace: ns },
      );
    }
  }
}

/**
 * `stratus secrets reencrypt`: Kubernetes' documented re-write after a key rotation, done
 * through the API for every Secret and AccessKey. Prints how many each resource had rewritten.
 */
export const secretsCommand: Command = {
  name: 'secrets',
  summary: 'Re-encrypt Secrets and AccessKeys with the current key (secrets reencrypt)',
  usage: USAGE,
  options: {},
  async run(ctx, _values, positionals) {
    const [verb, ...rest] = positionals;
    if (verb !== 'reencrypt')
      throw new UsageError(`unknown secrets subcommand "${verb ?? ''}": use "secrets reencrypt"`, 'secrets');
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0] ?? ''}"`, 'secrets');
    const client = ctx.client();
    for (const resource of RESOURCES) {
      const items = (await client.list(resource, { allNamespaces: true })).items;
      let rewritten = 0;
      for (const item of items) if (await rewrite(client, resource, item)) rewritten++;
      await write(ctx.io.stdout, `${resource}: ${rewritten} of ${items.length} rewritten\n`);
    }
    return 0;
  },
};
