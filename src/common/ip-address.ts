/**
 * IP addresses and CIDR blocks as Kubernetes validates and allocates them: strict dotted-quad
 * IPv4 (no leading zeros, as Go's netip), IPv6 with `::` and an embedded IPv4 tail, families,
 * and the special ranges the validators name. Pure: shared by the resource validators, the
 * Service IP allocator and the network proxy.
 */

/** Kubernetes' IP family names. */
export type IPFamily = 'IPv4' | 'IPv6';

const OCTET = /^(0|[1-9]\d{0,2})$/;

/** The IPv4 address as an unsigned 32-bit number, or undefined when `text` is not one. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** Dotted-quad text of an unsigned 32-bit number. */
export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The eight 16-bit groups of an IPv6 address, or undefined when `text` is not one. */
export function parseIPv6(text: string): number[] | undefined {
  if (!text.includes(':') || text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? '';
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4(part);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** The family of an address, or undefined when `text` is not an IP address. */
export function ipFamilyOf(text: string): IPFamily | undefined {
  if (parseIPv4(text) !== undefined) return 'IPv4';
  if (parseIPv6(text) !== undefined) return 'IPv6';
  return undefined;
}

/** True for an IPv4 or IPv6 address literal. */
export function isIP(text: string): boolean {
  return ipFamilyOf(text) !== undefined;
}

/** A parsed CIDR block: its family, prefix length and (IPv4) the network address as a number. */
export interface Cidr {
  family: IPFamily;
  prefix: number;
  /** IPv4 only: the network address (host bits cleared). */
  base: number;
  /** The text as given. */
  text: string;
}

/** Parses `ADDRESS/PREFIX`; undefined when malformed. Host bits may be set (Go's ParseCIDR masks them). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const v4 = parseIPv4(address);
  if (v4 !== undefined) {
    if (prefix > 32) return undefined;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { family: 'IPv4', prefix, base: (v4 & mask) >>> 0, text };
  }
  if (parseIPv6(address) !== undefined && prefix <= 128) return { family: 'IPv6', prefix, base: 0, text };
  return undefined;
}

/** True when the IPv4 address (a number) lies in the IPv4 block. */
export function cidrContains(cidr: Cidr, ipv4: number): boolean {
  if (cidr.family !== 'IPv4') return false;
  const mask = cidr.prefix === 0 ? 0 : (0xffffffff << (32 - cidr.prefix)) >>> 0;
  return (ipv4 & mask) >>> 0 === cidr.base;
}

/**
 * Why an address may not be an endpoint or external IP, as Kubernetes' ValidateEndpointIP words
 * it (unspecified, link-local unicast or multicast); empty when it may. Loopback is allowed
 * here, unlike Kubernetes: every Stratus node of a one-machine cloud has a loopback address.
 */
export function specialIPErrors(text: string): string[] {
  const v4 = parseIPv4(text);
  const v6 = v4 === undefined ? parseIPv6(text) : undefined;
  if (v4 === undefined && v6 === undefined) return ['must be a valid IP address'];
  const out: string[] = [];
  if (v4 === 0 || (v6 !== undefined && v6.every((g) => g === 0))) {
    out.push(`may not be unspecified (${text})`);
  }
  const linkLocalUnicast =
    (v4 !== undefined && v4 >>> 16 === 0xa9fe) || (v6 !== undefined && (v6[0]! & 0xffc0) === 0xfe80);
  if (linkLocalUnicast) out.push('may not be in the link-local range (169.254.0.0/16, fe80::/10)');
  const linkLocalMulticast =
    (v4 !== undefined && v4 >>> 8 === 0xe00000) || (v6 !== undefined && (v6[0]! & 0xff0f) === 0xff02);
  if (linkLocalMulticast) {
    out.push('may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)');
  }
  return out;
}
