/**
 * Where objects live in etcd's flat, byte-ordered key space:
 * `<prefix><resource>/<namespace>\0<name>`. The NUL between namespace and name sorts below every
 * character a name can hold, so etcd's key order is the Store's (namespace, name) order (with
 * `/` there, namespace `a-b` would sort before `a`); cluster-scoped objects have an empty
 * namespace. Pure functions, no I/O.
 */
export class EtcdKeys {
  constructor(readonly prefix: string) {}

  /** The key of one object. */
  object(resource: string, namespace: string, name: string): Buffer {
    return Buffer.from(`${this.prefix}${resource}/${namespace}\0${name}`, 'utf8');
  }

  /** The first key of a resource's objects (all namespaces, or one). */
  start(resource: string, namespace?: string): Buffer {
    const ns = namespace === undefined || namespace === '' ? '' : `${namespace}\0`;
    return Buffer.from(`${this.prefix}${resource}/${ns}`, 'utf8');
  }

  /** The end (exclusive) of the range that `start` opens. */
  end(resource: string, namespace?: string): Buffer {
    return prefixEnd(this.start(resource, namespace));
  }

  /** The key right after an object's: where a page that stopped at it resumes. */
  after(resource: string, namespace: string, name: string): Buffer {
    return Buffer.concat([this.object(resource, namespace, name), Buffer.from([0])]);
  }

  /** The namespace and name of a key of `resource`. */
  parse(resource: string, key: Buffer): { namespace: string; name: string } {
    const rest = key.toString('utf8').slice(this.prefix.length + resource.length + 1);
    const cut = rest.indexOf('\0');
    return { namespace: rest.slice(0, cut), name: rest.slice(cut + 1) };
  }
}

/** The smallest key greater than every key starting with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  // All 0xff: the range runs to the end of the key space.
  return Buffer.from([0]);
}
