/**
 * Splits a byte stream of newline-delimited JSON (a Kubernetes watch response) into parsed
 * values, one per line, tolerating lines split across chunks and blank keep-alive lines.
 * Pure: takes any async iterable of bytes, so it is tested without a server.
 */
export async function* parseNdjson(
  chunks: AsyncIterable<Uint8Array>,
): AsyncGenerator<unknown, void, undefined> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line !== '') yield JSON.parse(line) as unknown;
    }
  }
  const rest = (buffer + decoder.decode()).trim();
  if (rest !== '') yield JSON.parse(rest) as unknown;
}
