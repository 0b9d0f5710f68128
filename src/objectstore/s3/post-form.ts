import { Busboy, type BusboyInstance } from '@fastify/busboy';
import type { Readable } from 'node:stream';
import { ObjectStoreError } from '../errors.js';

/** The most bytes the fields before the file may take (names and values), as S3's limit. */
export const MAX_PRE_DATA = 20 * 1024;

/** A POST Object form up to its file: the fields before it and the file's bytes, not yet read. */
export interface PostForm {
  /** Fields by lowercase name (the first of a repeated one). */
  fields: Map<string, string>;
  /** The file part's bytes as they arrive; read it or the form stops there. */
  file: Readable;
  /** The file's name as the browser sent it (no folders), '' for a text field. */
  filename: string;
}

function malformed(): ObjectStoreError {
  return new ObjectStoreError(
    'MalformedPOSTRequest',
    'The body of your POST request is not well-formed multipart/form-data.',
  );
}

/**
 * Reads a multipart/form-data body up to its `file` part (the file must be the last field, as
 * S3 requires; fields after it are ignored) and hands the file over unread, so that it streams
 * to storage: nothing of it is buffered beyond the parser's window. The fields before it are
 * bounded by MAX_PRE_DATA (MaxPostPreDataLengthExceeded); a form without a file is
 * IncorrectNumberOfFilesInPostRequest, a broken one MalformedPOSTRequest. A failure of `body`
 * or the parser after the file was handed over fails the file's stream.
 */
export function readPostForm(body: Readable, contentType: string): Promise<PostForm> {
  let parser: BusboyInstance;
  try {
    parser = Busboy({
      headers: { 'content-type': contentType },
      // `file` is the file even when sent as a plain text field (S3 takes text content too).
      isPartAFile: (name) => name?.toLowerCase() === 'file',
      limits: { fieldSize: MAX_PRE_DATA, fieldNameSize: 1024, files: 1 },
    });
  } catch {
    return Promise.reject(malformed());
  }
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    let preData = 0;
    let file: Readable | undefined;
    let settled = false;
    const fail = (err: Error): void => {
      if (file !== undefined) file.destroy(err);
      if (settled) return;
      settled = true;
      body.unpipe(parser);
      reject(err);
    };
    parser.on('field', (name, value, nameTruncated, valueTruncated) => {
      if (settled) return;
      preData += name.length + value.length;
      if (nameTruncated || valueTruncated || preData > MAX_PRE_DATA) {
        fail(
          new ObjectStoreError(
            'MaxPostPreDataLengthExceeded',
            `Your POST request fields preceding the upload file were too large (at most ${MAX_PRE_DATA} bytes)`,
          ),
        );
        return;
      }
      const key = name.toLowerCase();
      if (!fields.has(key)) fields.set(key, value);
    });
    parser.on('file', (_name, stream, filename) => {
      if (settled) {
        stream.resume();
        return;
      }
      settled = true;
      file = stream;
      resolve({ fields, file: stream, filename: filename ?? '' });
    });
    parser.on('finish', () => {
      if (!settled)
        fail(
          new ObjectStoreError(
            'IncorrectNumberOfFilesInPostRequest',
            'POST requires exactly one file upload per request.',
          ),
        );
    });
    parser.on('error', () => fail(malformed()));
    body.on('error', fail);
    body.pipe(parser);
  });
}
