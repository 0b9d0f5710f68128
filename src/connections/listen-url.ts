import { isIP, type AddressInfo } from 'node:net';
import { isLoopbackAddress } from './tls-sniff.js';

function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function bracketed(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/**
 * The host part of the URL a listening port is reached at: the name it was told to listen on
 * (`--host myhost.example`, as its certificate names it), loopback for the unspecified address
 * (0.0.0.0, ::), which clients cannot connect to by that name, else the bound address.
 */
export function urlHost(addr: AddressInfo, given?: string): string {
  if (given !== undefined && given !== '' && isIP(given.replace(/^\[|\]$/g, '')) === 0) return given;
  if (isUnspecified(addr.address)) return addr.family === 'IPv6' ? '[::1]' : '127.0.0.1';
  return bracketed(addr.address);
}

/** The loopback host part of a port bound to loopback or the unspecified address; else undefined. */
export function loopbackUrlHost(addr: AddressInfo): string | undefined {
  if (isUnspecified(addr.address)) return addr.family === 'IPv6' ? '[::1]' : '127.0.0.1';
  return isLoopbackAddress(addr.address) ? bracketed(addr.address) : undefined;
}
