import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { EsError, PlainEsError } from './es-errors.js';

/** What a handler answers: a status, and a body unless it has none. */
export interface Reply {
  status: number;
  body?: unknown;
  /** Headers besides the product header and the content type (a redirect's Location). */
  headers?: Record<string, string>;
  /** A body sent as it is instead of as JSON, with its content type: what a proxy's own page looks like. */
  raw?: { contentType: string; text: string };
}

export const ok = (body: unknown, status = 200): Reply => ({ status, body });

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The body as text; the client gzips it when `compression` is on, and a node inflates it before parsing. */
export function decodeBody(req: IncomingMessage, wire: Buffer): string {
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  try {
    return (encoding === 'gzip' ? gunzipSync(wire) : encoding === 'deflate' ? inflateSync(wire) : wire).toString('utf8');
  } catch (error) {
    throw new EsError(400, 'illegal_argument_exception', `could not decode a ${encoding} request body: ${(error as Error).message}`);
  }
}

const compatibleWith = (header: string | undefined) => /compatible-with\s*=\s*(\d+)/i.exec(header ?? '')?.[1];

// The media types a node parses a request body as; anything else (text/plain, a form) is refused with 406.
const BODY_TYPES = /^application\/(json|x-ndjson|smile|cbor|yaml|vnd\.elasticsearch\+(json|x-ndjson|smile|cbor|yaml))$/;

/**
 * Checks the Accept and Content-Type headers as an 8.x node does and returns the compatible-with version to echo
 * in the response (undefined for plain JSON). A request for another major's compatibility (a 9.x client) is
 * refused: that is how a version mismatch between client and cluster shows up.
 */
export function negotiate(req: IncomingMessage, hasBody: boolean): string | undefined {
  const accept = req.headers.accept;
  const contentType = req.headers['content-type'];
  const acceptVersion = compatibleWith(accept);
  const contentVersion = hasBody ? compatibleWith(contentType) : undefined;
  for (const [header, version, value] of [
    ['Accept', acceptVersion, accept],
    ['Content-Type', contentVersion, contentType],
  ] as const) {
    if (version !== undefined && version !== '7' && version !== '8') {
      throw new EsError(400, 'media_type_header_exception', `Invalid media-type value on headers [${header}]`, {
        caused_by: { type: 'status_exception', reason: `${header} version must be either version 8 or 7, but found ${version}. ${header}=${value}` },
      });
    }
  }
  if (acceptVersion !== undefined && contentVersion !== undefined && acceptVersion !== contentVersion) {
    throw new EsError(400, 'media_type_header_exception', 'Invalid media-type value on headers [Accept, Content-Type]', {
      caused_by: {
        type: 'status_exception',
        reason:
          'A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version ' +
          `and the compatible versions must match. Accept=${accept}, Content-Type=${contentType}`,
      },
    });
  }
  if (hasBody) {
    if (contentType === undefined) throw new PlainEsError(406, 'content_type', 'Content-Type header is missing');
    const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    if (!BODY_TYPES.test(mediaType)) throw new PlainEsError(406, 'content_type', `Content-Type header [${contentType}] is not supported`);
  }
  return acceptVersion ?? contentVersion;
}

/** The Authorization header values the configured credentials allow. */
export function allowedAuthorizations(auth: { apiKey?: string; username?: string; password?: string; bearer?: string } | undefined): string[] {
  if (!auth) return [];
  const out: string[] = [];
  if (auth.apiKey) out.push(`ApiKey ${auth.apiKey}`);
  if (auth.username !== undefined && auth.password !== undefined) out.push(`Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`);
  if (auth.bearer) out.push(`Bearer ${auth.bearer}`);
  return out;
}

/**
 * @param product whether to send the product header: an Elasticsearch node always does, an OpenSearch node never.
 */
export function send(req: IncomingMessage, res: ServerResponse, compatible: string | undefined, reply: Reply, product = true): void {
  res.statusCode = reply.status;
  // Without this header the official client refuses every answer (ProductNotSupportedError).
  if (product) res.setHeader('x-elastic-product', 'Elasticsearch');
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.raw) {
    res.setHeader('content-type', reply.raw.contentType);
    res.setHeader('content-length', Buffer.byteLength(reply.raw.text));
    return void res.end(req.method === 'HEAD' ? undefined : reply.raw.text);
  }
  if (reply.body === undefined) return void res.end();
  const payload = JSON.stringify(reply.body);
  res.setHeader('content-type', compatible ? `application/vnd.elasticsearch+json;compatible-with=${compatible}` : 'application/json');
  // A HEAD answer states the length its GET would have, with no body.
  res.setHeader('content-length', Buffer.byteLength(payload));
  res.end(req.method === 'HEAD' ? undefined : payload);
}
