import { errors } from '@elastic/elasticsearch';
import { beforeEach, describe, expect, it } from 'vitest';
import { useServer } from './support.js';

describe('reading back: _count, _search, _doc, index APIs', () => {
  const t = useServer();
  beforeEach(async () => {
    const docs = Array.from({ length: 15 }, (_, i) => ({ sha: `s${i}`, severity: i % 3, repo: { name: i < 5 ? 'nginx' : 'redis' } }));
    await t.client.bulk({ refresh: true, operations: docs.flatMap((d) => [{ index: { _index: 'img', _id: d.sha } }, d]) });
  });

  it('counts all documents, or those matching a term on a top-level field', async () => {
    expect((await t.client.count({ index: 'img' })).count).toBe(15);
    expect((await t.client.count({ index: 'img', query: { match_all: {} } })).count).toBe(15);
    expect((await t.client.count({ index: 'img', query: { term: { severity: 2 } } })).count).toBe(5);
  });

  it('searches with match_all (10 by default), ids, term on a .keyword or nested field, and pages with from/size', async () => {
    const all = await t.client.search({ index: 'img' });
    expect(all.hits.total).toEqual({ value: 15, relation: 'eq' });
    expect(all.hits.hits).toHaveLength(10);
    expect(all.hits.hits[0]).toMatchObject({ _index: 'img', _id: 's0', _score: 1, _source: { sha: 's0' } });
    expect((await t.client.search({ index: 'img', query: { ids: { values: ['s3', 's9', 'zz'] } } })).hits.hits.map((h) => h._id)).toEqual(['s3', 's9']);
    expect((await t.client.search({ index: 'img', query: { term: { 'sha.keyword': 's4' } } })).hits.hits.map((h) => h._id)).toEqual(['s4']);
    expect((await t.client.search({ index: 'img', query: { term: { 'repo.name': { value: 'nginx' } } } })).hits.total).toEqual({ value: 5, relation: 'eq' });
    expect((await t.client.search({ index: 'img', from: 12, size: 5 })).hits.hits.map((h) => h._id)).toEqual(['s12', 's13', 's14']);
  });

  it('answers 404 index_not_found_exception for an unknown index, and nothing for an unmatched wildcard', async () => {
    const err = await t.client.count({ index: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect((err as errors.ResponseError).body).toMatchObject({ error: { type: 'index_not_found_exception' }, status: 404 });
    expect((await t.client.count({ index: 'nope*' })).count).toBe(0);
    expect((await t.client.count({ index: 'img,nope', ignore_unavailable: true })).count).toBe(15);
    expect((await t.client.count({ index: 'im*' })).count).toBe(15);
  });

  it('filters each hit’s _source by includes and excludes patterns over dotted paths, as Kibana asks for result.* and rule.*', async () => {
    const source = async (spec: unknown) => (await t.client.search({ index: 'img', size: 1, _source: spec as never })).hits.hits[0]?._source;
    expect(await source(['repo.*'])).toEqual({ repo: { name: 'nginx' } });
    expect(await source('sha')).toEqual({ sha: 's0' });
    expect(await source({ includes: ['*'], excludes: ['repo'] })).toEqual({ sha: 's0', severity: 0 });
    expect(await source({ excludes: ['repo.name'] })).toEqual({ sha: 's0', severity: 0, repo: {} });
    expect(await source(false)).toBeUndefined();
    expect(await source(true)).toEqual({ sha: 's0', severity: 0, repo: { name: 'nginx' } });
  });

  it('refuses a search body key a node does not know, and one it knows that the test server does not implement', async () => {
    const unknown = await t.client.search({ index: 'img', body: { quer: { match_all: {} } } } as never).catch((e: errors.ResponseError) => e);
    expect((unknown as errors.ResponseError).body).toMatchObject({ error: { type: 'parsing_exception', reason: 'Unknown key for a START_OBJECT in [quer].' } });
    const filtered = await t.client.search({ index: 'img', post_filter: { term: { severity: 1 } } }).catch((e: errors.ResponseError) => e);
    expect((filtered as errors.ResponseError).body).toMatchObject({
      error: { type: 'illegal_argument_exception', reason: expect.stringContaining('[post_filter]') },
    });
    const versioned = await t.client.search({ index: 'img', size: 1, version: true, seq_no_primary_term: true, explain: false });
    expect(versioned.hits.hits[0]).toMatchObject({ _id: 's0', _version: 1, _seq_no: 0, _primary_term: 1 });
  });

  it('gets a document with its version and sequence number, and found: false with 404 for a missing one', async () => {
    expect(await t.client.get({ index: 'img', id: 's1' })).toMatchObject({
      _index: 'img',
      _id: 's1',
      _version: 1,
      _seq_no: 1,
      _primary_term: 1,
      found: true,
      _source: { sha: 's1' },
    });
    const missing = await t.client.get({ index: 'img', id: 'zz' }).catch((e: unknown) => e);
    expect((missing as errors.ResponseError).statusCode).toBe(404);
    expect((missing as errors.ResponseError).body).toEqual({ _index: 'img', _id: 'zz', found: false });
    expect(await t.client.exists({ index: 'img', id: 's1' })).toBe(true);
  });

  it('writes single documents through index, create and delete, with bulk item semantics', async () => {
    expect(await t.client.index({ index: 'img', id: 's1', document: { sha: 's1', v: 2 } })).toMatchObject({ result: 'updated', _version: 2 });
    await expect(t.client.create({ index: 'img', id: 's1', document: {} })).rejects.toMatchObject({
      statusCode: 409,
      body: { error: { type: 'version_conflict_engine_exception' } },
    });
    expect(await t.client.delete({ index: 'img', id: 's2' })).toMatchObject({ result: 'deleted' });
    expect((await t.client.count({ index: 'img' })).count).toBe(14);
  });

  it('reports index existence, mapping, refresh count, and deletes an index (a wildcard delete is refused)', async () => {
    expect(await t.client.indices.exists({ index: 'img' })).toBe(true);
    expect(await t.client.indices.exists({ index: 'nope' })).toBe(false);
    expect(Object.keys((await t.client.indices.getMapping({ index: 'img' }))['img']?.mappings.properties ?? {}).sort()).toEqual(['repo', 'severity', 'sha']);
    expect((await t.client.indices.get({ index: 'img' }))['img']?.settings?.index?.number_of_shards).toBe('1');
    const before = t.server.stats.refreshes;
    await t.client.indices.refresh({ index: 'img' });
    await expect(t.client.indices.refresh({ index: 'nope' })).rejects.toMatchObject({ statusCode: 404 });
    expect(t.server.stats.refreshes).toBe(before + 1);
    await expect(t.client.indices.delete({ index: 'im*' })).rejects.toMatchObject({ statusCode: 400 });
    expect(await t.client.indices.delete({ index: 'img' })).toEqual({ acknowledged: true });
    expect(t.server.indices()).toEqual([]);
    expect(t.server.documents('img').size).toBe(0);
    expect(await t.client.indices.delete({ index: 'img', ignore_unavailable: true })).toEqual({ acknowledged: true });
  });
});
