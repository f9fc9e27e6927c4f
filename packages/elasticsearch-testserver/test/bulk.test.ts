import { describe, expect, it } from 'vitest';
import { imagesTemplate, itemsOf, ndjson, rawBulk, useServer } from './support.js';

describe('_bulk: per-item semantics', () => {
  const t = useServer();

  it('creates the index from the matching template, then count, search by ids and get return the documents', async () => {
    await t.client.indices.putIndexTemplate(imagesTemplate);
    const r = await t.client.bulk({
      operations: [
        { index: { _index: 'images-1', _id: 'a' } },
        { sha: 'a', created: '2024-01-02T03:04:05.000Z', total: 3 },
        { index: { _index: 'images-1', _id: 'b' } },
        { sha: 'b', created: null, total: 0 },
      ],
    });
    expect(r.errors).toBe(false);
    expect(itemsOf(r)).toMatchObject([
      { _index: 'images-1', _id: 'a', status: 201, result: 'created', _version: 1, _seq_no: 0 },
      { _index: 'images-1', _id: 'b', status: 201, result: 'created', _version: 1, _seq_no: 1 },
    ]);
    expect(t.server.mappings('images-1')?.properties?.['created']).toEqual({ type: 'date' });
    expect((await t.client.count({ index: 'images-1' })).count).toBe(2);
    expect((await t.client.get({ index: 'images-1', id: 'a' }))._source).toEqual({ sha: 'a', created: '2024-01-02T03:04:05.000Z', total: 3 });
    const found = await t.client.search({ index: 'images-1', query: { ids: { values: ['b'] } } });
    expect(found.hits.hits.map((h) => h._id)).toEqual(['b']);
    expect(t.server.documents('images-1').get('a')).toMatchObject({ _id: 'a', _version: 1, _seq_no: 0 });
  });

  it('updates in place when the same _id is indexed again (_version 2, count unchanged)', async () => {
    await t.client.bulk({ operations: [{ index: { _index: 'x', _id: '1' } }, { v: 1 }] });
    const again = await t.client.bulk({ operations: [{ index: { _index: 'x', _id: '1' } }, { v: 2 }] });
    expect(itemsOf(again)[0]).toMatchObject({ status: 200, result: 'updated', _version: 2 });
    expect(t.server.documents('x').get('1')).toMatchObject({ _source: { v: 2 }, _version: 2 });
    expect((await t.client.count({ index: 'x' })).count).toBe(1);
  });

  it('answers create on an existing _id with a 409 item and keeps the first document', async () => {
    const r = await t.client.bulk({
      operations: [
        { create: { _index: 'x', _id: '1' } },
        { v: 1 },
        { create: { _index: 'x', _id: '1' } },
        { v: 2 },
        { index: { _index: 'x', _id: '2', op_type: 'create' } },
        { v: 3 },
      ],
    });
    expect(r.errors).toBe(true);
    expect(itemsOf(r).map((i) => i.status)).toEqual([201, 409, 201]);
    expect(itemsOf(r)[1]?.error).toMatchObject({
      type: 'version_conflict_engine_exception',
      reason: '[1]: version conflict, document already exists (current version [1])',
      index: 'x',
      shard: '0',
    });
    expect(Object.keys(r.items[2] ?? {})).toEqual(['create']);
    expect(t.server.documents('x').get('1')?._source).toEqual({ v: 1 });
  });

  it('deletes (200 deleted, then 404 not_found), continues the version after a delete, and never creates an index for a delete', async () => {
    await t.client.bulk({ operations: [{ index: { _index: 'x', _id: '1' } }, { v: 1 }] });
    const r = await t.client.bulk({
      operations: [
        { delete: { _index: 'x', _id: '1' } },
        { delete: { _index: 'x', _id: '1' } },
        { delete: { _index: 'nowhere', _id: '1' } },
        { index: { _index: 'x', _id: '1' } },
        { v: 2 },
      ],
    });
    expect(itemsOf(r)).toMatchObject([
      { status: 200, result: 'deleted', _version: 2 },
      { status: 404, result: 'not_found', _version: 3 },
      { status: 404, error: { type: 'index_not_found_exception' } },
      { status: 201, result: 'created', _version: 4 },
    ]);
    expect(t.server.indices()).toEqual(['x']);
  });

  it('applies update doc as a deep merge, upserts with doc_as_upsert, reports noop, and 404s a missing document', async () => {
    await t.client.bulk({ operations: [{ index: { _index: 'u', _id: '1' } }, { a: 1, o: { x: 1, y: 2 }, l: [1, 2] }] });
    const r = await t.client.bulk({
      operations: [
        { update: { _index: 'u', _id: '1' } },
        { doc: { o: { y: 3 }, l: [9] } },
        { update: { _index: 'u', _id: '1' } },
        { doc: { a: 1 } },
        { update: { _index: 'u', _id: '2' } },
        { doc: { b: 1 }, doc_as_upsert: true },
        { update: { _index: 'u', _id: '3' } },
        { doc: { b: 1 } },
      ],
    });
    expect(itemsOf(r)).toMatchObject([
      { status: 200, result: 'updated', _version: 2 },
      { status: 200, result: 'noop', _version: 2 },
      { status: 201, result: 'created', _version: 1 },
      { status: 404, error: { type: 'document_missing_exception' } },
    ]);
    expect(t.server.documents('u').get('1')?._source).toEqual({ a: 1, o: { x: 1, y: 3 }, l: [9] });
    expect(t.server.documents('u').get('2')?._source).toEqual({ b: 1 });
  });

  it('takes _index from the path when the action has none, and generates a 20-character _id when none is given', async () => {
    const r = await t.client.bulk({ index: 'p', operations: [{ index: {} }, { v: 1 }, { create: { _index: 'q' } }, { v: 2 }] });
    const [first, second] = itemsOf(r);
    expect(first).toMatchObject({ _index: 'p', status: 201 });
    expect(second).toMatchObject({ _index: 'q', status: 201 });
    expect(first?._id).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(first?._id).not.toBe(second?._id);
    expect(t.server.documents('p').get(first?._id as string)?._source).toEqual({ v: 1 });
  });

  it('refuses optimistic concurrency with a stale if_seq_no (409) and accepts the current one', async () => {
    await t.client.bulk({ operations: [{ index: { _index: 'o', _id: '1' } }, { v: 1 }, { index: { _index: 'o', _id: '2' } }, { v: 1 }] });
    const r = await t.client.bulk({
      operations: [
        { index: { _index: 'o', _id: '2', if_seq_no: 0, if_primary_term: 1 } },
        { v: 2 },
        { index: { _index: 'o', _id: '2', if_seq_no: 1, if_primary_term: 1 } },
        { v: 3 },
      ],
    });
    expect(itemsOf(r).map((i) => [i.status, i.error?.type])).toEqual([
      [409, 'version_conflict_engine_exception'],
      [200, undefined],
    ]);
  });

  it('fails an item whose index name Elasticsearch refuses (uppercase) without creating anything', async () => {
    const r = await t.client.bulk({ operations: [{ index: { _index: 'Images' } }, { v: 1 }] });
    expect(itemsOf(r)[0]).toMatchObject({
      status: 400,
      error: { type: 'invalid_index_name_exception', reason: 'Invalid index name [Images], must be lowercase' },
    });
    expect(t.server.indices()).toEqual([]);
  });

  it('counts requests, items and refreshes (refresh=wait_for counts, refresh=false does not)', async () => {
    await t.client.bulk({ refresh: 'wait_for', operations: [{ index: { _index: 's' } }, {}, { index: { _index: 's' } }, {}] });
    await t.client.bulk({ refresh: false, operations: [{ index: { _index: 's' } }, {}] });
    await t.client.indices.refresh({ index: 's' });
    expect(t.server.stats).toMatchObject({ bulkRequests: 2, bulkItems: 3, refreshes: 2 });
  });

  it('keeps the pipeline query parameter in the request log', async () => {
    await t.client.bulk({ pipeline: 'enrich', operations: [{ index: { _index: 'pl' } }, { v: 1 }] });
    expect(t.server.requests.at(-1)?.path).toBe('/_bulk?pipeline=enrich');
  });
});

describe('_bulk: whole-request errors, as the REST layer answers them', () => {
  const t = useServer();
  const errorOf = async (res: Response) => ({ status: res.status, ...((await res.json()) as { error: { type: string; reason: string } }).error });

  it('refuses a body that does not end with a newline (400 illegal_argument_exception)', async () => {
    expect(await errorOf(await rawBulk(t.server, '{"index":{"_index":"a"}}\n{"x":1}'))).toMatchObject({
      status: 400,
      type: 'illegal_argument_exception',
      reason: 'The bulk request must be terminated by a newline [\\n]',
    });
    expect(await errorOf(await rawBulk(t.server, '{"delete":{"_index":"a","_id":"1"}}'))).toMatchObject({
      status: 400,
      reason: 'The bulk request must be terminated by a newline [\\n]',
    });
    expect(t.server.indices()).toEqual([]);
  });

  it('refuses a malformed action line with 400 x_content_parse_exception', async () => {
    expect(await errorOf(await rawBulk(t.server, '{"index":{"_index": a"}}\n{"x":1}\n'))).toMatchObject({
      status: 400,
      type: 'x_content_parse_exception',
      reason: expect.stringMatching(/^\[1:\d+\]/),
    });
    expect(t.server.indices()).toEqual([]);
  });

  it('fails only the item of a malformed document line (document_parsing_exception), as a real cluster does', async () => {
    const res = await rawBulk(t.server, '{"index":{"_index":"a","_id":"1"}}\n{"name": tom"}\n{"index":{"_index":"a","_id":"2"}}\n{"name":"ok"}\n');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { errors: boolean; items: unknown[] };
    expect(body.errors).toBe(true);
    expect(itemsOf(body)).toMatchObject([
      {
        _id: '1',
        status: 400,
        error: { type: 'document_parsing_exception', reason: expect.stringMatching(/failed to parse/), caused_by: { type: 'x_content_parse_exception' } },
      },
      { _id: '2', status: 201 },
    ]);
    expect([...t.server.documents('a').keys()]).toEqual(['2']);
  });

  it('refuses an action without an index (400 action_request_validation_exception)', async () => {
    expect(await errorOf(await rawBulk(t.server, ndjson([{ index: {} }, { x: 1 }, { delete: { _index: 'a' } }])))).toMatchObject({
      status: 400,
      type: 'action_request_validation_exception',
      reason: 'Validation Failed: 1: index is missing;2: id is missing;',
    });
  });

  it('refuses unknown actions, unknown metadata (a 7.x _type) and an empty body', async () => {
    expect(await errorOf(await rawBulk(t.server, ndjson([{ upsert: { _index: 'a' } }, { x: 1 }])))).toMatchObject({
      status: 400,
      reason: expect.stringMatching(/expected one of \[create, delete, index, update\] but found \[upsert\]/),
    });
    expect(await errorOf(await rawBulk(t.server, ndjson([{ index: { _index: 'a', _type: '_doc' } }, { x: 1 }])))).toMatchObject({
      status: 400,
      reason: 'Action/metadata line [1] contains an unknown parameter [_type]',
    });
    expect(await errorOf(await rawBulk(t.server, '\n'))).toMatchObject({ status: 400, reason: 'Validation Failed: 1: no requests added;' });
    expect(await errorOf(await rawBulk(t.server, ''))).toMatchObject({ status: 400, type: 'parse_exception' });
    expect(t.server.stats.bulkRequests).toBe(0);
  });
});
