import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { afterEach, beforeEach } from 'vitest';
import { type EsTestServer, type EsTestServerOptions, startElasticsearchTestServer } from '../src/index.js';

/** A fresh server and an official client per test; retries off so a test sees each answer as it is. */
export function useServer(options: EsTestServerOptions = {}, clientOptions: Partial<ClientOptions> = {}) {
  const ctx = {} as { server: EsTestServer; client: Client };
  beforeEach(async () => {
    ctx.server = await startElasticsearchTestServer(options);
    ctx.client = new Client({ node: ctx.server.url, maxRetries: 0, requestTimeout: 5000, ...clientOptions });
  });
  afterEach(async () => {
    await ctx.client.close();
    await ctx.server.close();
  });
  return ctx;
}

export const ndjson = (lines: unknown[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

/** A bulk request sent by hand, for bodies the client would never produce. */
export function rawBulk(server: EsTestServer, body: string, path = '/_bulk') {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
}

export interface Item {
  _index: string;
  _id: string | null;
  status: number;
  result?: string;
  _version?: number;
  _seq_no?: number;
  error?: { type: string; reason: string; caused_by?: { type: string; reason: string } };
}

/** The result objects of a bulk response, whatever their op. */
export const itemsOf = (response: { items: unknown[] }): Item[] => response.items.map((i) => Object.values(i as Record<string, Item>)[0] as Item);

export const imagesTemplate = {
  name: 'images',
  index_patterns: ['images*'],
  template: {
    mappings: {
      properties: { sha: { type: 'keyword' }, created: { type: 'date' }, total: { type: 'integer' }, repo: { properties: { name: { type: 'keyword' } } } },
    },
  },
};
