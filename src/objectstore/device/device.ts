import type { Readable } from 'node:stream';
import type { BucketIndex } from './bucket-index.js';

/**
 * What a stored data file says about itself (kept in a footer after the body, so a file is
 * committed by one rename and a range read needs no offset arithmetic).
 */
export interface DataFooter {
  bucket: string;
  key: string;
  /** The version id, or `p.<uploadId>.<partNumber>` for a multipart part. */
  name: string;
  ts: string;
  size: number;
  /** Hex MD5 of the body (the ETag; the auditor verifies it). */
  md5: string;
  /**
   * Hex CRC-32 of the body, which reads verify instead of the MD5: it catches the same bit rot
   * at about six times the speed. Absent in files written before it existed (reads use the MD5).
   */
  crc32?: string;
  /** JSON of the engine's stored metadata (headers, user metadata, checksum, manifest). */
  meta: string;
}

/** The health of a device as the write path sees it. */
export interface DeviceHealth {
  ok: boolean;
  /** Why the device is out of the write set: 'missing', 'full', 'error'. */
  reason?: string;
  freeBytes?: number;
  /**
   * Set when free space is below the device's reserve: it still takes index rows and tombstones
   * (small, and deletes free space) but no object bodies; the text says why, for error messages.
   */
  lowSpace?: string;
}

/** One file on a device: the newest one of its (hash, name). */
export interface FileEntry {
  partition: number;
  hash: string;
  name: string;
  ts: string;
  kind: 'data' | 'tombstone';
  fileName: string;
}

/** An in-flight write into the device's tmp/ folder. */
export interface DataWriter {
  /**
   * Appends a chunk, or several in one gathering write. Calls may overlap (the next before the
   * last resolved): bytes land in call order. Chunks must not change until the promise settles.
   */
  write(chunk: Buffer | readonly Buffer[]): Promise<void>;
  /** Appends the footer, fsyncs the file, renames it into place and fsyncs the folder. */
  commit(footer: DataFooter): Promise<void>;
  /** Removes the temp file; safe to call after a failure or twice. */
  abort(): Promise<void>;
}

/** An open committed data file. */
export interface DataReader {
  readonly fileName: string;
  readonly footer: DataFooter;
  /** The body bytes [start, end] inclusive, or all. */
  stream(start?: number, end?: number): Readable;
  /** Reads body bytes at `position` into `buf` (as many as fit); 0 at the end of the body. */
  read(buf: Buffer, position: number): Promise<number>;
  /** A local file's descriptor (open until `close`), for reading on another thread; body offsets are file offsets. */
  readonly fd?: number;
  readAll(): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * A storage device behind a small interface, so that a device served by an agent on another
 * machine can implement it later; only LocalDevice (a folder) exists now.
 */
export interface Device {
  readonly id: string;
  /** Checks the device is present and has room; re-creates the layout in an empty folder. */
  check(): Promise<DeviceHealth>;
  /** Takes the device out of the write set for a while (after ENOSPC). */
  markFull(): void;
  /**
   * A new data file. With `keepOlder`, placing it leaves older data files of its name (the engine
   * drops them with `dropOlder` once the index points past them); otherwise the older file goes.
   */
  writer(partition: number, hash: string, keepOlder?: boolean): Promise<DataWriter>;
  /**
   * The newest file of (hash, name): an open reader, a tombstone, or undefined; with `ts`, only
   * the data file written at `ts` (older ones of a name stay until `dropOlder`).
   */
  open(
    partition: number,
    hash: string,
    name: string,
    ts?: string,
  ): Promise<DataReader | { tombstone: DataFooter } | undefined>;
  /** Records a deletion (last-writer-wins against older data files). */
  writeTombstone(partition: number, hash: string, footer: DataFooter): Promise<void>;
  /** Removes the data files of (hash, name) written before `ts` (once the index points past them). */
  dropOlder(partition: number, hash: string, name: string, ts: string): Promise<void>;
  /** The newest file of each (hash, name) in a partition; with `every`, every file. */
  list(partition: number, every?: boolean): Promise<FileEntry[]>;
  /** Partitions that hold objects or indexes on this device. */
  partitions(): Promise<number[]>;
  /** Reads a file's raw bytes (body + footer) for replication. */
  readRaw(partition: number, hash: string, fileName: string): Promise<Buffer | undefined>;
  /**
   * Writes a file's raw bytes under its name (tmp + fsync + rename), replacing older versions of
   * it. A stream that fails leaves nothing behind.
   */
  writeRaw(
    partition: number,
    hash: string,
    fileName: string,
    bytes: Buffer | AsyncIterable<Buffer>,
  ): Promise<void>;
  /** Moves a corrupt file to quarantined/. */
  quarantine(partition: number, hash: string, fileName: string): Promise<void>;
  remove(partition: number, hash: string, fileName: string): Promise<void>;
  /** An index replica; created when `create`, else undefined when absent. */
  index(partition: number, name: string, create: boolean): Promise<BucketIndex | undefined>;
  indexes(partition: number): Promise<string[]>;
  removeIndex(partition: number, name: string): Promise<void>;
  /** Removes empty folders of a partition (after its handoff copies were removed). */
  prune(partition: number): Promise<void>;
  /** Closes open index handles. */
  close(): Promise<void>;
}
