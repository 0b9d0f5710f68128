import { IdentityError } from './errors.js';

/** The names a serving certificate is valid for: DNS names and IP addresses (canonical text). */
export interface SubjectAltNames {
  dnsNames: string[];
  ipAddresses: string[];
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** The 4 or 16 bytes of an IPv4 or IPv6 address in text form; undefined when it is not one. */
export function ipAddressBytes(text: string): Uint8Array | undefined {
  if (IPV4.test(text)) return new Uint8Array(text.split('.').map(Number));
  if (!text.includes(':') || text.includes('%')) return undefined;
  let groups = text;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // An IPv4 tail (`::ffff:10.0.0.1`) is the last two groups.
    const v4 = ipAddressBytes(text.slice(lastColon + 1));
    if (v4 === undefined || v4.length !== 4) return undefined;
    const hex = (a: number, b: number): string => ((a << 8) | b).toString(16);
    groups = `${text.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`;
  }
  const halves = groups.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const known = head.length + rest.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  const words = [...head, ...new Array<number>(8 - known).fill(0), ...rest];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

/** The canonical text of address bytes: dotted IPv4, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function ipAddressText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * Whether `name` is a DNS name a certificate may carry: labels of letters, digits and hyphens,
 * `*.` first at most, and a last label that is not all digits (`10.0.0.300` is a bad address,
 * not a name).
 */
function isDnsName(name: string): boolean {
  const labels = name.split('.');
  if (labels[0] === '*') labels.shift();
  return (
    name.length <= 253 &&
    labels.length > 0 &&
    labels.every((l) => DNS_LABEL.test(l)) &&
    !/^\d+$/.test(labels[labels.length - 1] ?? '')
  );
}

/**
 * Sorts names given as text (flags, the host name, interface addresses) into DNS names and IP
 * addresses, canonical and without repeats, in the order first given. A value that is neither
 * (`--tls-san a_b`, `10.0.0.300`) is refused with IDENTITY_TLS_SAN_INVALID naming it.
 */
export function subjectAltNames(values: Iterable<string>): SubjectAltNames {
  const dns = new Set<string>();
  const ips = new Set<string>();
  for (const raw of values) {
    const value = raw.trim().replace(/^\[(.*)\]$/, '$1');
    const bytes = ipAddressBytes(value);
    if (bytes !== undefined) ips.add(ipAddressText(bytes));
    else if (isDnsName(value.toLowerCase().replace(/\.$/, '')))
      dns.add(value.toLowerCase().replace(/\.$/, ''));
    else
      throw new IdentityError(
        'IDENTITY_TLS_SAN_INVALID',
        400,
        `"${raw}" is not a DNS name or an IP address, so it cannot be a subject alternative name`,
        { value: raw },
      );
  }
  return { dnsNames: [...dns], ipAddresses: [...ips] };
}

/**
 * The names in a certificate's `subjectAltName` as node:crypto prints it (`DNS:a, IP Address:1.2.3.4`),
 * canonical; names of other kinds are kept as given so that they count as a difference.
 */
export function parseSubjectAltName(text: string | undefined): SubjectAltNames & { other: string[] } {
  const out = { dnsNames: [] as string[], ipAddresses: [] as string[], other: [] as string[] };
  for (const entry of (text ?? '').split(', ').filter((e) => e !== '')) {
    if (entry.startsWith('DNS:')) out.dnsNames.push(entry.slice(4).toLowerCase());
    else if (entry.startsWith('IP Address:')) {
      const bytes = ipAddressBytes(entry.slice(11));
      if (bytes === undefined) out.other.push(entry);
      else out.ipAddresses.push(ipAddressText(bytes));
    } else out.other.push(entry);
  }
  return out;
}

/** Whether two name sets hold the same names, in any order. */
export function sameNames(a: SubjectAltNames, b: SubjectAltNames): boolean {
  const key = (n: SubjectAltNames): string =>
    [...n.dnsNames.map((d) => `d:${d}`), ...n.ipAddresses.map((i) => `i:${i}`)].sort().join(',');
  return key(a) === key(b);
}

/** Where a server is reached: what `servingNames` collects. */
export interface ServingNameSources {
  /** The listen address or name (`--host`); the unspecified addresses add nothing. */
  host?: string;
  /** Names and addresses asked for (`--tls-san`), checked. */
  extra?: string[];
  /** The machine's host name; skipped when it is not a DNS name. */
  hostname?: string;
  /** The machine's interface addresses; link-local ones are skipped (they need a zone). */
  addresses?: string[];
}

/**
 * The names a server's certificate carries, as k3s chooses them: `localhost`, 127.0.0.1 and ::1,
 * the host name and the node's addresses, the listen address, and every `--tls-san`.
 */
export function servingNames(sources: ServingNameSources): SubjectAltNames {
  const values = ['localhost', '127.0.0.1', '::1'];
  const hostname = sources.hostname?.toLowerCase();
  if (hostname !== undefined && isDnsName(hostname)) values.push(hostname);
  for (const a of sources.addresses ?? []) {
    const bytes = ipAddressBytes(a);
    if (bytes !== undefined && !(bytes.length === 16 && bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80))
      values.push(a);
  }
  if (sources.host !== undefined && !['0.0.0.0', '::', '[::]', ''].includes(sources.host))
    values.push(sources.host);
  const extra = subjectAltNames(sources.extra ?? []);
  return subjectAltNames([...values, ...extra.dnsNames, ...extra.ipAddresses]);
}
