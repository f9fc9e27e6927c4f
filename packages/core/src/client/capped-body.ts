import type { Readable } from 'node:stream';

/**
 * Reads a response body up to `max` bytes and decodes it as UTF-8 (a leading BOM dropped, as undici's text() does).
 * A Content-Length over the cap fails before a byte is read; a body without one (chunked) fails as soon as it passes
 * the cap, and the stream is destroyed so the rest is never read: a runaway or hostile answer cannot fill the heap.
 * `tooLarge` makes the error, given the declared length when that was the reason.
 */
export async function readCapped(
  body: Readable,
  contentLength: string | string[] | undefined,
  max: number,
  tooLarge: (declared: number | undefined) => Error,
): Promise<string> {
  const declared = Number(Array.isArray(contentLength) ? contentLength[0] : contentLength);
  if (Number.isFinite(declared) && declared > max) {
    body.destroy();
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    total += bytes.length;
    if (total > max) {
      body.destroy();
      throw tooLarge(undefined);
    }
    chunks.push(bytes);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks, total));
}
