import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SinkError } from '@qcs-export/core';
import { startElasticsearchTestServer, type EsTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext, makeTestRecords } from '@qcs-export/sink-testkit';
import { createElasticsearchSink, elasticsearchSink, imageTemplate, type ElasticsearchSinkOptions } from '../src/index.js';
import { patternMatches, winnerFor } from '../src/precedence.js';

let server: EsTestServer;
beforeAll(async () => {
  server = await startElasticsearchTestServer();
});
afterAll(async () => {
  await server.close();
});

const put = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const remove = (path: string) => fetch(`${server.url}${path}`, { method: 'DELETE' });
// What a SIEM team's catch-all looks like: dynamic mapping, so sha becomes text.
const catchAll = (pattern: string, extra: Record<string, unknown> = {}) => ({
  index_patterns: [pattern],
  priority: 500,
  template: { mappings: { properties: { sha: { type: 'text' } } } },
  ...extra,
});

describe('a higher-priority index template matching the index (issue: "a higher-priority template silently wins")', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-es-precedence-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const parse = (options: Record<string, unknown>) => elasticsearchSink.options.parse({ node: server.url, ...options }) as ElasticsearchSinkOptions;
  const sinkFor = (options: Record<string, unknown>) => createElasticsearchSink(parse(options), makeRunContext({ baseDir: dir }), { backoffBaseMs: 5 });
  const openError = async (options: Record<string, unknown>) => {
    const sink = sinkFor(options);
    const error = await sink.open().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    await sink.abort(error);
    return error;
  };
  const touched = (index: string) =>
    server.requests
      .filter((r) => r.path === `/${index}` || r.path.startsWith(`/${index}/`) || r.path.startsWith(`/_data_stream/${index}`))
      .filter((r) => r.method !== 'HEAD' && r.method !== 'GET');

  it('fails open before creating the index or sending a document, naming the other template, its priority and what to do; validate says the same', async () => {
    expect((await put('/_index_template/siem-catchall', catchAll('prec-*'))).status).toBe(200);
    // validate first, before the export's template was ever installed
    await expect(elasticsearchSink.check?.(parse({ index: 'prec-images' }), makeRunContext({ baseDir: dir }))).rejects.toThrow(
      /index template "siem-catchall" \(priority 500/,
    );

    const error = await openError({ index: 'prec-images' });
    expect(error).toBeInstanceOf(SinkError);
    expect(error?.message).toMatch(
      new RegExp(
        /^index template "siem-catchall" \(priority 500, index_patterns \["prec-\*"\]\) /.source +
          /is the one Elasticsearch applies to prec-images, not qcs-export-prec-images \(priority 300\)/.source,
      ),
    );
    expect(error?.message).toMatch(/change the index_patterns of "siem-catchall" so they do not match prec-images, lower its priority below 300, or delete it/);
    // Decided: nothing is created but the export's own template (harmless, since the other one outranks it).
    expect(server.indices()).not.toContain('prec-images');
    expect(touched('prec-images')).toEqual([]);
    expect(await readdir(dir)).toEqual([]);

    // Following the advice works: with the catch-all's pattern narrowed, the index gets the export's mapping.
    expect((await put('/_index_template/siem-catchall', catchAll('prec-logs-*'))).status).toBe(200);
    const sink = sinkFor({ index: 'prec-images' });
    await sink.open();
    await sink.write(makeTestRecords(5));
    expect((await sink.close()).records).toBe(5);
    expect(server.mappings('prec-images')?.properties?.['sha']).toMatchObject({ type: 'keyword' });
  });

  it('does the same for a data stream: no data stream is created with the other template', async () => {
    expect((await put('/_index_template/history-catchall', catchAll('hist-*', { data_stream: {} }))).status).toBe(200);
    const error = await openError({ index: 'hist-images', dataStream: true });
    expect(error?.message).toMatch(
      /^index template "history-catchall" \(priority 500, index_patterns \["hist-\*"\]\) is the one Elasticsearch applies to hist-images/,
    );
    expect(server.indices()).not.toContain('hist-images');
  });

  it('with manageTemplate: false, says to raise the priority of the named template', async () => {
    expect(
      (await put('/_index_template/own-template', { ...imageTemplate('own-images', { dataStream: false, toolVersion: 't' }), priority: 200 })).status,
    ).toBe(200);
    expect((await put('/_index_template/own-catchall', catchAll('own-*'))).status).toBe(200);
    const error = await openError({ index: 'own-images', manageTemplate: false, templateName: 'own-template' });
    expect(error?.message).toMatch(
      new RegExp(
        /is the one Elasticsearch applies to own-images, not own-template \(priority 200\), .*; /.source +
          /raise the priority of own-template above 500, or change the index_patterns of "own-catchall"/.source,
      ),
    );
    expect(server.indices()).not.toContain('own-images');
  });

  it('with manageTemplate: false, refuses a template that wins but would map the key fields otherwise, before creating the index', async () => {
    expect(
      (
        await put('/_index_template/loose-template', {
          index_patterns: ['loose-images'],
          priority: 400,
          template: { mappings: { properties: { sha: { type: 'text' } } } },
        })
      ).status,
    ).toBe(200);
    const error = await openError({ index: 'loose-images', manageTemplate: false, templateName: 'loose-template' });
    expect(error?.message).toMatch(
      /^index template loose-template would give loose-images another mapping \(sha is text \(want keyword\); created is not mapped \(want date\)/,
    );
    expect(server.indices()).not.toContain('loose-images');
  });

  it(
    'an index that already exists keeps its mapping: ' + 'a later higher-priority template does not stop the export, and its mapping is still checked',
    async () => {
      const first = sinkFor({ index: 'kept-images' });
      await first.open();
      await first.write(makeTestRecords(5));
      await first.close();
      expect((await put('/_index_template/kept-catchall', catchAll('kept-*'))).status).toBe(200);
      await expect(elasticsearchSink.check?.(parse({ index: 'kept-images' }), makeRunContext({ baseDir: dir }))).resolves.toBeUndefined();
      const again = sinkFor({ index: 'kept-images' });
      await again.open();
      await again.write(makeTestRecords(5));
      expect(await again.close()).toMatchObject({ records: 5, details: { updated: 5 } });
      expect(server.mappings('kept-images')?.properties?.['sha']).toMatchObject({ type: 'keyword' });
      // the mapping in force is what is checked: read it before the documents went
      const mappingRead = server.requests.findLastIndex((r) => r.method === 'GET' && r.path.startsWith('/kept-images/_mapping'));
      const lastBulk = server.requests.findLastIndex((r) => r.path.startsWith('/kept-images/_bulk'));
      expect(mappingRead).toBeGreaterThanOrEqual(0);
      expect(mappingRead).toBeLessThan(lastBulk);
      await remove('/_index_template/kept-catchall');
    },
  );
});

describe('template precedence, as Elasticsearch decides it', () => {
  it('matches index patterns with * only', () => {
    expect(patternMatches('prec-*', 'prec-images')).toBe(true);
    expect(patternMatches('*-images', 'prod-images')).toBe(true);
    expect(patternMatches('a*b*c', 'abc')).toBe(true);
    expect(patternMatches('a*a', 'a')).toBe(false);
    expect(patternMatches('images', 'images-2')).toBe(false);
    expect(patternMatches('im?ges', 'images')).toBe(false);
    expect(patternMatches('*', 'anything')).toBe(true);
  });

  it('picks the matching template of highest priority', () => {
    const templates = [
      { name: 'low', priority: 100, patterns: ['img*'] },
      { name: 'ours', priority: 300, patterns: ['img-a'] },
      { name: 'other', priority: 900, patterns: ['logs-*'] },
    ];
    expect(winnerFor(templates, 'img-a')?.name).toBe('ours');
    expect(winnerFor(templates, 'img-b')?.name).toBe('low');
    expect(winnerFor(templates, 'nothing')).toBeUndefined();
  });
});
