import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request the API refuses with 400 BAD_REQUEST and this message. */
export class BadRequest extends Error {}

/** How a body reaches the client: at once, cut in half mid-transfer, or a few bytes at a time. */
export type Delivery = { kind: 'whole' } | { kind: 'truncate' } | { kind: 'trickle'; bytesPerChunk: number; intervalMs: number };

export const WHOLE: Delivery = { kind: 'whole' };

/** The error body shape the Qualys API answers with. */
export function errorBody(status: number, code: string, message: string): Record<string, unknown> {
  return { errorCode: `${status} ${code}`, message, timestamp: Date.now() };
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, delivery: Delivery = WHOLE): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers });
  if (delivery.kind === 'truncate') {
    // Half the promised body, then the connection dies: a transfer cut mid-way.
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    setTimeout(() => res.destroy(), 5);
    return;
  }
  if (delivery.kind === 'trickle') return trickle(res, bytes, delivery.bytesPerChunk, delivery.intervalMs);
  res.end(bytes);
}

/** A bare 204: no body, no content type. */
export function sendNoContent(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(204, headers);
  res.end();
}

/**
 * Headers at once, then the body in small pieces on a timer: a slow link that never stalls long enough for a
 * client's per-chunk timeout. Stops when the client goes away, so a closed socket is not written to.
 */
function trickle(res: ServerResponse, bytes: Buffer, bytesPerChunk: number, intervalMs: number): void {
  res.flushHeaders();
  const step = Math.max(1, Math.floor(bytesPerChunk));
  let offset = 0;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => clearTimeout(timer);
  res.once('close', stop);
  const next = () => {
    if (res.destroyed || res.writableEnded) return stop();
    const chunk = bytes.subarray(offset, offset + step);
    offset += chunk.length;
    if (offset >= bytes.length) return void res.end(chunk);
    res.write(chunk);
    timer = setTimeout(next, intervalMs);
  };
  next();
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** An integer query parameter within [min, max], or the fallback when absent; anything else is a 400. */
export function intParam(q: Record<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = q[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new BadRequest(`Invalid ${name} "${raw}": valid values are ${min} to ${max}`);
  return n;
}
