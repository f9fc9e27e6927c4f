import { UndiciConnection, type ConnectionOptions } from '@elastic/elasticsearch';

/**
 * The client's default connection, made safe to bound: when an answer's Content-Length passes maxResponseSize, the
 * transport destroys the body without reading it and rejects, but undici then emits an 'error' on that body, which
 * has no listener and would end the process as an uncaught exception. Every body gets a listener here, so the
 * transport's rejection (QCS_PROTOCOL, by explain()) is the only outcome; reading a body still fails on its errors,
 * since the transport reads it through an async iterator, which watches for errors itself.
 */
export class BoundedUndiciConnection extends UndiciConnection {
  constructor(options: ConnectionOptions) {
    super(options);
    const pool = this.pool;
    const request = pool.request.bind(pool) as (params: unknown) => Promise<{ body: NodeJS.ReadableStream }>;
    (pool as unknown as { request: typeof request }).request = async (params) => {
      const response = await request(params);
      response.body.on('error', () => undefined);
      return response;
    };
  }
}
