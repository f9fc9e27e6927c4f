import { request as httpRequest, createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface QualysFront {
  url: string;
  /** TCP connections accepted: a retried handshake shows as more than one. */
  connections(): number;
  close(): Promise<void>;
}

export interface QualysFrontOptions {
  /** Serve HTTPS with this key and certificate; plain HTTP when absent. */
  tls?: { key: string; cert: string };
  /** Rewrites the text of a JSON answer from /csapi before it is sent on (what a different server would have said). */
  rewrite?: (path: string, body: string) => string;
}

/**
 * A loopback server in front of the Qualys simulator, as a gateway or a proxy would be: it passes every request on and
 * every answer back, over HTTPS when asked, and can change the answers' text on the way (JSON no simulator writes:
 * integers beyond 2^53, a "__proto__" key).
 */
export async function startQualysFront(target: string, options: QualysFrontOptions = {}): Promise<QualysFront> {
  let connections = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const upstream = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        let body = Buffer.concat(chunks).toString('utf8');
        const path = new URL(req.url ?? '/', target).pathname;
        if (options.rewrite && path.startsWith('/csapi/') && /json/.test(String(answer.headers['content-type'])) && body !== '') {
          body = options.rewrite(path, body);
        }
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        headers['content-length'] = String(Buffer.byteLength(body));
        res.writeHead(answer.statusCode ?? 502, headers);
        res.end(body);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
