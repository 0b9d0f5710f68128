import { PassThrough, type Readable } from 'node:stream';
import type { LogWriter } from './container-log.js';
import { readLogRecords } from './container-log.js';
import { renderRecord, selectRecords, type LogRecord } from './cri-log.js';
import type { LogOptions } from './runtime.js';

/**
 * A readable stream of an attempt's log as `GET pods/{name}/log` serves it. With `follow` and a
 * live writer, it subscribes to new records in the same tick as it reads the files (writes are
 * synchronous), so no line is lost or doubled, and ends when the container's output ends or
 * `signal` aborts.
 */
export function openLogStream(
  dir: string,
  attempt: number,
  writer: LogWriter | undefined,
  options: LogOptions,
): Readable {
  const out = new PassThrough();
  const timestamps = options.timestamps === true;
  let sinceMs: number | undefined;
  if (options.sinceSeconds !== undefined) sinceMs = Date.now() - options.sinceSeconds * 1000;
  if (options.sinceTime !== undefined) sinceMs = Date.parse(options.sinceTime);
  let budget = options.limitBytes !== undefined && options.limitBytes >= 0 ? options.limitBytes : Infinity;
  const follow = options.follow === true && writer !== undefined && !writer.isClosed;
  const unsubscribe = (): void => {
    writer?.off('record', onRecord);
    writer?.off('end', onEnd);
    options.signal?.removeEventListener('abort', onEnd);
  };
  /** Writes within the byte budget; false once it is spent. */
  const emit = (text: string): boolean => {
    const bytes = Buffer.from(text);
    if (bytes.length >= budget) {
      if (budget > 0) out.write(bytes.subarray(0, budget));
      budget = 0;
      return false;
    }
    budget -= bytes.length;
    if (bytes.length > 0) out.write(bytes);
    return true;
  };
  function onEnd(): void {
    unsubscribe();
    out.end();
  }
  function onRecord(r: LogRecord): void {
    if ((sinceMs === undefined || r.timeMs >= sinceMs) && !emit(renderRecord(r, timestamps))) onEnd();
  }
  const selection = {
    ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
  };
  const records = selectRecords(readLogRecords(dir, attempt), selection);
  const more = emit(records.map((r) => renderRecord(r, timestamps)).join(''));
  if (more && follow && writer !== undefined && options.signal?.aborted !== true) {
    writer.on('record', onRecord);
    writer.once('end', onEnd);
    options.signal?.addEventListener('abort', onEnd, { once: true });
    out.once('close', unsubscribe);
  } else {
    out.end();
  }
  return out;
}
