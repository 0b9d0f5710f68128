import { Readable } from 'node:stream';
import type { LogWriter } from './container-log.js';
import { renderRecord, type LogRecord } from './cri-log.js';
import { LogFileSet } from './log-files.js';
import type { LogOptions } from './runtime.js';

/**
 * A readable stream of an attempt's log as `GET pods/{name}/log` serves it. It reads only what
 * the request asks for: `tailLines` from the end backwards, `sinceSeconds`/`sinceTime` from the
 * file holding that time, and no further than `limitBytes` allows or the reader takes (it is
 * read as it is consumed). With `follow` and a live writer it subscribes to new records in the
 * same tick as it opens the files (writes are synchronous), so no line is lost or doubled, and
 * ends when the container's output ends or `signal` aborts.
 */
export function openLogStream(
  dir: string,
  attempt: number,
  writer: LogWriter | undefined,
  options: LogOptions,
): Readable {
  const files = new LogFileSet(dir, attempt);
  const follow = options.follow === true && writer !== undefined && !writer.isClosed;
  const live: LogRecord[] = [];
  let ended = !follow || options.signal?.aborted === true;
  let wake: (() => void) | undefined;
  const onRecord = (r: LogRecord): void => {
    live.push(r);
    wake?.();
  };
  const onEnd = (): void => {
    ended = true;
    wake?.();
  };
  if (!ended && writer !== undefined) {
    writer.on('record', onRecord);
    writer.once('end', onEnd);
    options.signal?.addEventListener('abort', onEnd, { once: true });
  }
  const stop = (): void => {
    writer?.off('record', onRecord);
    writer?.off('end', onEnd);
    options.signal?.removeEventListener('abort', onEnd);
    files.close();
  };

  let sinceMs: number | undefined;
  if (options.sinceSeconds !== undefined) sinceMs = Date.now() - options.sinceSeconds * 1000;
  if (options.sinceTime !== undefined) sinceMs = Date.parse(options.sinceTime);
  const timestamps = options.timestamps === true;
  let budget = options.limitBytes !== undefined && options.limitBytes >= 0 ? options.limitBytes : Infinity;
  /** The bytes of these records within the budget (an empty buffer once it is spent). */
  const render = (records: LogRecord[]): Buffer => {
    let text = '';
    for (const r of records)
      if (sinceMs === undefined || r.timeMs >= sinceMs) text += renderRecord(r, timestamps);
    const bytes = Buffer.from(text);
    const out = bytes.length > budget ? bytes.subarray(0, budget) : bytes;
    budget -= out.length;
    return out;
  };

  async function* generate(): AsyncGenerator<Buffer> {
    try {
      let from = { file: 0, offset: 0 };
      if (options.tailLines !== undefined && options.tailLines >= 0)
        from = await files.tailStart(options.tailLines);
      if (sinceMs !== undefined) {
        const since = await files.sinceStart(sinceMs);
        if (since.file > from.file) from = since;
      }
      for await (const records of files.records(from)) {
        if (budget <= 0) return;
        const bytes = render(records);
        if (bytes.length > 0) yield bytes;
      }
      files.close();
      while (budget > 0) {
        if (live.length > 0) {
          const bytes = render(live.splice(0));
          if (bytes.length > 0) yield bytes;
          continue;
        }
        if (ended) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      stop();
    }
  }
  const stream = Readable.from(generate(), { objectMode: false });
  // A stream destroyed before its first read never runs the generator's `finally`.
  stream.once('close', stop);
  return stream;
}
