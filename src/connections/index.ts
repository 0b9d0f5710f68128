/**
 * Connections of the ports Stratus serves HTTP on (the API, S3): header, keep-alive and request
 * timeouts and caps per client and in total, applied to sockets the port accepts itself; TLS
 * told from plain HTTP by the first byte, plain HTTP let through only where allowed (loopback).
 */
export {
  ConnectionGuard,
  openFileLimit,
  type ConnectionGuardOptions,
  type GuardStats,
} from './connection-guard.js';
export {
  ClientCounts,
  clientKey,
  resolveLimits,
  type ConnectionLimits,
  type Refusal,
  type ResolvedLimits,
} from './connection-limits.js';
export { isLoopbackAddress, sniffTls, type TlsSniffOptions } from './tls-sniff.js';
export { loopbackUrlHost, urlHost } from './listen-url.js';
