import { type KubeObject } from '../../common/kube-object.js';
import { StatusError, type KubeClient } from '../../client/index.js';
import { write, type Command } from '../command.js';
import { describeObject } from '../describe-printer.js';
import { UsageError } from '../errors.js';

/**
 * `stratus describe TYPE NAME`: a readable description of one object and the Events about it
 * (listed with the field selector `involvedObject.name=…,involvedObject.kind=…`).
 */
export const describeCommand: Command = {
  name: 'describe',
  summary: 'Describe an object and the events about it',
  usage: `Usage: stratus describe TYPE NAME
       stratus describe TYPE/NAME`,
  options: {},
  async run(ctx, _values, positionals) {
    const [first, second, ...extra] = positionals;
    let type = first;
    let names = second === undefined ? [] : [second, ...extra];
    if (first?.includes('/')) {
      const [t, n] = first.split('/', 2);
      type = t;
      names = n ? [n] : [];
    }
    if (!type || names.length === 0)
      throw new UsageError('describe needs a type and a name: stratus describe deploy web', 'describe');
    const client = ctx.client();
    const info = await client.resolve(type);
    for (const [i, name] of names.entries()) {
      const object = await client.get(
        info,
        name,
        ctx.globals.namespace === undefined ? {} : { namespace: ctx.globals.namespace },
      );
      object.kind ??= info.kind;
      const events = await eventsAbout(ctx.client(), object);
      await write(ctx.io.stdout, (i > 0 ? '\n\n' : '') + describeObject(object, events, Date.now()));
    }
    return 0;
  },
};

async function eventsAbout(client: KubeClient, object: KubeObject): Promise<KubeObject[]> {
  const name = object.metadata.name ?? '';
  const kind = object.kind ?? '';
  try {
    const list = await client.list('events', {
      namespace: object.metadata.namespace ?? 'default',
      fieldSelector: `involvedObject.name=${name},involvedObject.kind=${kind}`,
    });
    // Filter again: a server that ignores the selector must not show other objects' events.
    return list.items.filter((e) => {
      const ref = (e['involvedObject'] ?? {}) as { name?: string; kind?: string };
      return ref.name === name && ref.kind === kind;
    });
  } catch (err) {
    if (err instanceof StatusError && (err.reason === 'NotFound' || err.reason === 'Forbidden')) return [];
    if (err instanceof Error && err.name === 'UnknownResourceError') return [];
    throw err;
  }
}
