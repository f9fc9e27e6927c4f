import { afterEach } from 'vitest';
import { startSimulator, type QualysSimulator, type SimulatorOptions } from '../src/index.js';

export type Page = { data: Array<Record<string, unknown>>; count?: number; message?: string; errorCode?: string };

/** A `start` that gives a fresh simulator (500 images, no rate limit unless asked) and closes it after each test. */
export function useSimulator(defaults: SimulatorOptions = { images: 500, rateLimit: false }) {
  let sim: QualysSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });
  return async function start(options: SimulatorOptions = {}): Promise<QualysSimulator> {
    sim = await startSimulator({ ...defaults, ...options });
    return sim;
  };
}

export async function login(s: QualysSimulator, password = s.credentials.password): Promise<Response> {
  return fetch(`${s.url}/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: s.credentials.username, password, token: 'true' }).toString(),
  });
}

export function urlOf(s: QualysSimulator, path: string, query: Record<string, string | number> = {}): string {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return `${s.url}${path}${qs ? `?${qs}` : ''}`;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Page | undefined;
}

export async function get(s: QualysSimulator, path: string, query: Record<string, string | number> = {}, token = s.staticToken): Promise<Answer> {
  const res = await fetch(urlOf(s, path, query), { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? (JSON.parse(text) as Page) : undefined };
}

/** The paginationQuery a bulk Link header names, decoded; undefined for "null" or no header. */
export function cursorOf(link: string | null): string | undefined {
  const m = link ? /paginationQuery=([^&<>;]*)/.exec(link) : null;
  return m ? decodeURIComponent((m[1] as string).replace(/\+/g, ' ')) : undefined;
}

/** Follows the bulk API's Link cursor to the end, as an exporter would. */
export async function crawl(
  s: QualysSimulator,
  limit: number,
  extra: Record<string, string> = {},
): Promise<{ shas: string[]; links: string[]; pages: number }> {
  const shas: string[] = [];
  const links: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (let i = 0; i < 1000; i++) {
    const r = await get(s, '/csapi/v1.3/images/list', { limit, ...extra, ...(cursor ? { paginationQuery: cursor } : {}) });
    pages++;
    shas.push(...(r.body?.data ?? []).map((d) => String(d['sha'])));
    const link = r.headers.get('link');
    links.push(link ?? '(absent)');
    cursor = cursorOf(link);
    if (!cursor) break;
  }
  return { shas, links, pages };
}

export const authHeaders = (s: QualysSimulator) => ({ authorization: `Bearer ${s.staticToken}` });
