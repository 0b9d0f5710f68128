import { stringify } from 'yaml';
import {
  kindGroup,
  resourcesInCategory,
  type KubeClient,
  type ResourceInfo,
  type Table,
} from '../../client/index.js';
import type { KubeObject } from '../../common/kube-object.js';
import {
  flagBool,
  flagString,
  write,
  type Command,
  type CommandContext,
  type FlagValues,
} from '../command.js';
import { UsageError } from '../errors.js';
import { TablePrinter } from '../table-printer.js';

const OUTPUTS = ['wide', 'yaml', 'json', 'name'] as const;
type Output = (typeof OUTPUTS)[number] | 'table';

/** What one `get` asks for: a resource, and the names within it (none: the whole list). */
interface Target {
  info: ResourceInfo;
  names: string[];
}

/**
 * `stratus get`: lists or shows objects as the server's Tables, formatted like kubectl (or as
 * YAML, JSON or names), and with `-w` keeps printing rows as watch events arrive until
 * interrupted.
 */
export const getCommand: Command = {
  name: 'get',
  summary: 'Show objects as a table, YAML, JSON or names; -w to watch',
  usage: `Usage: stratus get TYPE[,TYPE…] [NAME…] [flags]
       stratus get TYPE/NAME … [flags]

  -A, --all-namespaces      list across all namespaces
  -l, --selector SELECTOR   only objects whose labels match (app=web,tier!=db)
  --field-selector SEL      only objects whose fields match (metadata.name=web)
  -o, --output FORMAT       wide, yaml, json or name
  -w, --watch               after listing, print changes as they happen (Ctrl-C stops)`,
  options: {
    'all-namespaces': { type: 'boolean', short: 'A' },
    selector: { type: 'string', short: 'l' },
    'field-selector': { type: 'string' },
    output: { type: 'string', short: 'o' },
    watch: { type: 'boolean', short: 'w' },
  },
  async run(ctx, values, positionals) {
    const output = parseOutput(flagString(values, 'output'));
    const client = ctx.client();
    const targets = await resolveTargets(client, positionals);
    if (flagBool(values, 'watch')) {
      const [target] = targets;
      if (targets.length !== 1 || !target || target.names.length > 1) {
        throw new UsageError('watch is only supported on a single resource type and at most one name', 'get');
      }
      return watch(ctx, values, output, target);
    }
    const all = positionals[0]?.split(',').includes('all') ?? false;
    if (output === 'table' || output === 'wide') return printTables(ctx, values, output, targets, all);
    return printObjects(ctx, values, output, targets);
  },
};

function parseOutput(value: string | undefined): Output {
  if (value === undefined) return 'table';
  if ((OUTPUTS as readonly string[]).includes(value)) return value as Output;
  throw new UsageError(
    `unable to match a printer suitable for the output format "${value}", allowed formats are: ${OUTPUTS.join(',')}`,
    'get',
  );
}

async function resolveTargets(client: KubeClient, args: string[]): Promise<Target[]> {
  const [first, ...rest] = args;
  if (first === undefined) {
    throw new UsageError(
      'You must specify the type of resource to get. Use "stratus get deploy,svc" for example.',
      'get',
    );
  }
  if (first.includes('/')) {
    const targets: Target[] = [];
    for (const arg of args) {
      const [type, name, extra] = arg.split('/');
      if (!type || !name || extra !== undefined)
        throw new UsageError(
          `arguments in resource/name form must have a single resource and name: "${arg}"`,
          'get',
        );
      const info = await client.resolve(type);
      const same = targets.find((t) => t.info === info);
      if (same) same.names.push(name);
      else targets.push({ info, names: [name] });
    }
    return targets;
  }
  const types = first.split(',').filter((t) => t !== '');
  if (types.length > 1 && rest.length > 0)
    throw new UsageError('names cannot be given with several resource types; use TYPE/NAME', 'get');
  const targets: Target[] = [];
  for (const type of types) {
    if (type === 'all') {
      for (const info of resourcesInCategory(await client.discover(), 'all'))
        targets.push({ info, names: rest });
    } else {
      targets.push({ info: await client.resolve(type), names: rest });
    }
  }
  return targets;
}

function listOptions(ctx: CommandContext, values: FlagValues) {
  const selector = flagString(values, 'selector');
  const fieldSelector = flagString(values, 'field-selector');
  return {
    allNamespaces: flagBool(values, 'all-namespaces'),
    ...(ctx.globals.namespace === undefined ? {} : { namespace: ctx.globals.namespace }),
    ...(selector === undefined ? {} : { labelSelector: selector }),
    ...(fieldSelector === undefined ? {} : { fieldSelector }),
  };
}

async function tableFor(
  client: KubeClient,
  target: Target,
  options: ReturnType<typeof listOptions>,
): Promise<Table> {
  if (target.names.length === 0) return client.table(target.info, options);
  const tables: Table[] = [];
  for (const name of target.names)
    tables.push(await client.table(target.info, { ...options, allNamespaces: false, name }));
  const [head] = tables;
  if (!head) throw new TypeError('no table');
  return { ...head, rows: tables.flatMap((t) => t.rows) };
}

async function printTables(
  ctx: CommandContext,
  values: FlagValues,
  output: Output,
  targets: Target[],
  all: boolean,
): Promise<number> {
  const client = ctx.client();
  const options = listOptions(ctx, values);
  const withNamespace = options.allNamespaces;
  let printed = 0;
  for (const target of targets) {
    const table = await tableFor(client, target, options);
    if (table.rows.length === 0) continue;
    const printer = new TablePrinter({
      wide: output === 'wide',
      withNamespace: withNamespace && target.info.namespaced,
      ...(targets.length > 1 || all ? { namePrefix: kindGroup(target.info) } : {}),
    });
    await write(ctx.io.stdout, (printed > 0 ? '\n' : '') + printer.print(table));
    printed++;
  }
  if (printed === 0) await write(ctx.io.stderr, noResources(ctx, targets, withNamespace));
  return 0;
}

function noResources(ctx: CommandContext, targets: Target[], allNamespaces: boolean): string {
  if (allNamespaces || !targets.some((t) => t.info.namespaced)) return 'No resources found\n';
  return `No resources found in ${ctx.globals.namespace ?? ctx.client().namespace} namespace.\n`;
}

async function printObjects(
  ctx: CommandContext,
  values: FlagValues,
  output: Output,
  targets: Target[],
): Promise<number> {
  const client = ctx.client();
  const options = listOptions(ctx, values);
  const objects: KubeObject[] = [];
  let single = targets.length === 1 && targets[0]?.names.length === 1;
  for (const target of targets) {
    const apiVersion = target.info.group
      ? `${target.info.group}/${target.info.version}`
      : target.info.version;
    if (target.names.length > 0) {
      for (const name of target.names) objects.push(await client.get(target.info, name, options));
    } else {
      single = false;
      const list = await client.list(target.info, options);
      objects.push(...list.items.map((o) => ({ apiVersion, kind: target.info.kind, ...o })));
    }
  }
  if (output === 'name') {
    const names = objects.map((o) => `${kindGroup(infoOf(targets, o))}/${o.metadata.name ?? ''}\n`).join('');
    await write(ctx.io.stdout, names);
    if (objects.length === 0) await write(ctx.io.stderr, noResources(ctx, targets, options.allNamespaces));
    return 0;
  }
  const doc = single
    ? objects[0]
    : { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } };
  await write(ctx.io.stdout, render(doc, output));
  return 0;
}

function infoOf(targets: Target[], object: KubeObject): ResourceInfo {
  const found = targets.find((t) => t.info.kind === object.kind) ?? targets[0];
  if (!found) throw new TypeError('no target');
  return found.info;
}

/** YAML as kubectl prints it (keys sorted, sequences not indented) or two-space JSON. */
function render(value: unknown, output: Output): string {
  if (output === 'json') return JSON.stringify(value, null, 4) + '\n';
  return stringify(value, { sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}

async function watch(
  ctx: CommandContext,
  values: FlagValues,
  output: Output,
  target: Target,
): Promise<number> {
  const client = ctx.client();
  const base = listOptions(ctx, values);
  const name = target.names[0];
  const options =
    name === undefined ? base : { ...base, allNamespaces: false, fieldSelector: `metadata.name=${name}` };
  const stop = new AbortController();
  void ctx.untilSignal().then(() => stop.abort());
  const tables = output === 'table' || output === 'wide';
  const printer = new TablePrinter({
    wide: output === 'wide',
    withNamespace: base.allNamespaces && target.info.namespaced,
  });
  let resourceVersion: string | undefined;
  let header = true;
  if (tables) {
    const table = await client.table(target.info, options);
    resourceVersion = table.metadata?.resourceVersion;
    if (table.rows.length > 0) {
      await write(ctx.io.stdout, printer.print(table));
      header = false;
    }
  } else {
    const list = await client.list(target.info, options);
    resourceVersion = list.metadata.resourceVersion;
    for (const o of list.items) await write(ctx.io.stdout, watchLine(o, output, target.info));
  }
  const events = client.watch(target.info, {
    ...options,
    table: tables,
    signal: stop.signal,
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
  });
  for await (const event of events) {
    if (event.type === 'BOOKMARK') continue;
    if (tables) {
      const table = event.object as unknown as Table;
      if (!Array.isArray(table.rows) || table.rows.length === 0) continue;
      await write(ctx.io.stdout, printer.print(table, { header }));
      header = false;
    } else {
      await write(ctx.io.stdout, watchLine(event.object, output, target.info));
    }
  }
  return 0;
}

function watchLine(object: KubeObject, output: Output, info: ResourceInfo): string {
  if (output === 'name') return `${kindGroup(info)}/${object.metadata.name ?? ''}\n`;
  if (output === 'json') return JSON.stringify(object, null, 4) + '\n';
  return '---\n' + render(object, output);
}
