/**
 * Reads a fetch response body as a stream, up to a byte limit. Past the limit the stream is
 * cancelled (the connection is dropped) rather than read on: a huge or endless answer costs at
 * most `maxBytes` of memory.
 */

/** Thrown when the body is longer than allowed; the caller turns it into its own error. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the body is over ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export async function readCappedBody(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new BodyTooLargeError(maxBytes);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
