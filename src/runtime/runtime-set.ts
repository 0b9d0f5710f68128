import type { Readable, Writable } from 'node:stream';
import { containerNotFound } from './errors.js';
import type {
  ContainerSpec,
  ContainerStats,
  ContainerStatus,
  ExecResult,
  ExecSession,
  ExecStreamOptions,
  LogOptions,
  Runtime,
  StopOptions,
} from './runtime.js';

/**
 * The runtimes of one node as one `Runtime`: `start` goes to the runtime the spec's
 * `runtimeClassName` names (else the default), every other call to the runtime that holds the
 * container's id (ids are random, so no two runtimes share one), and `list`, `statsMany` and
 * `close` to all. The agent drives this, so adoption, logs and stats need no per-runtime code.
 */
export class RuntimeSet implements Runtime {
  readonly name: string;
  private readonly byName = new Map<string, Runtime>();
  private readonly owner = new Map<string, Runtime>();

  constructor(
    private readonly fallback: Runtime,
    others: readonly Runtime[] = [],
  ) {
    this.name = fallback.name;
    for (const r of [fallback, ...others]) this.byName.set(r.name, r);
  }

  /** The runtime handler names this node serves. */
  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** True when one of the runtimes puts its containers in network sandboxes: the node needs a pod network. */
  get needsSandbox(): boolean {
    return [...this.byName.values()].some((r) => r.needsSandbox === true);
  }

  /** True when one of the runtimes runs containers from image layers: the node needs an image store. */
  get usesImages(): boolean {
    return [...this.byName.values()].some((r) => r.usesImages === true);
  }

  /** The runtime named `name` (a RuntimeClass handler), or the default one for undefined. */
  runtime(name?: string | null): Runtime | undefined {
    return name === undefined || name === null ? this.fallback : this.byName.get(name);
  }

  async start(spec: ContainerSpec): Promise<string> {
    const rt = this.runtime(spec.runtimeClassName);
    if (rt === undefined) throw new RangeError(`no runtime "${spec.runtimeClassName ?? ''}" on this node`);
    const id = await rt.start(spec);
    this.owner.set(id, rt);
    return id;
  }

  private async find(id: string): Promise<Runtime> {
    const known = this.owner.get(id);
    if (known !== undefined) return known;
    for (const rt of this.byName.values()) {
      try {
        await rt.status(id);
        this.owner.set(id, rt);
        return rt;
      } catch {
        // not this one
      }
    }
    throw containerNotFound(id);
  }

  async stop(id: string, options?: StopOptions): Promise<ContainerStatus> {
    return (await this.find(id)).stop(id, options);
  }

  async status(id: string): Promise<ContainerStatus> {
    return (await this.find(id)).status(id);
  }

  async wait(id: string): Promise<ContainerStatus> {
    return (await this.find(id)).wait(id);
  }

  async list(): Promise<ContainerStatus[]> {
    const all = await Promise.all([...this.byName.values()].map((rt) => rt.list()));
    return all.flat();
  }

  async logs(id: string, options?: LogOptions): Promise<Readable> {
    return (await this.find(id)).logs(id, options);
  }

  async stats(id: string): Promise<ContainerStats> {
    return (await this.find(id)).stats(id);
  }

  async statsMany(ids: readonly string[]): Promise<Map<string, ContainerStats>> {
    const out = new Map<string, ContainerStats>();
    const byRuntime = new Map<Runtime, string[]>();
    for (const id of ids) {
      const rt = await this.find(id).catch(() => undefined);
      if (rt !== undefined) byRuntime.set(rt, [...(byRuntime.get(rt) ?? []), id]);
    }
    for (const [rt, mine] of byRuntime) {
      const stats =
        rt.statsMany !== undefined
          ? await rt.statsMany(mine)
          : new Map(
              await Promise.all(mine.map(async (id) => [id, await rt.stats(id)] as [string, ContainerStats])),
            );
      for (const [id, s] of stats) out.set(id, s);
    }
    return out;
  }

  async exec(id: string, command: string[], options?: { timeoutSeconds?: number }): Promise<ExecResult> {
    return (await this.find(id)).exec(id, command, options);
  }

  /** `kubectl exec` on the runtime that holds the container; one without `execStream` refuses. */
  async execStream(id: string, command: string[], options: ExecStreamOptions): Promise<ExecSession> {
    const rt = await this.find(id);
    if (rt.execStream === undefined)
      throw new RangeError(`the ${rt.name} runtime cannot exec into containers`);
    return rt.execStream(id, command, options);
  }

  /** `kubectl attach -i` on the runtime that holds the container; null where it keeps no stdin. */
  async attach(id: string): Promise<Writable | null> {
    const rt = await this.find(id);
    return (await rt.attach?.(id)) ?? null;
  }

  async remove(id: string): Promise<void> {
    const rt = await this.find(id).catch(() => undefined);
    if (rt === undefined) return;
    await rt.remove(id);
    this.owner.delete(id);
  }

  async close(): Promise<void> {
    for (const rt of this.byName.values()) await rt.close();
  }
}
