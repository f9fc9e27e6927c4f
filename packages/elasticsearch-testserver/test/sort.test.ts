import type { errors } from '@elastic/elasticsearch';
import { beforeEach, describe, expect, it } from 'vitest';
import { useServer } from './support.js';

describe('sort in _search', () => {
  const t = useServer();
  beforeEach(async () => {
    await t.client.indices.create({
      index: 's',
      mappings: {
        properties: {
          at: { type: 'date' },
          score: { type: 'float' },
          severity: { type: 'keyword' },
          versions: { type: 'long' },
          title: { type: 'text' },
        },
      },
    });
    const docs: Array<[string, Record<string, unknown>]> = [
      ['a', { score: 5, severity: 'LOW', at: '2024-01-02T00:00:00Z', versions: [3, 10] }],
      ['b', { score: 9.8, severity: 'HIGH', at: '2024-01-01T00:00:00Z', versions: 4 }],
      ['c', { severity: 'HIGH', at: '2024-01-03T00:00:00Z', title: 'no score' }],
      ['d', { score: 7.5, severity: 'HIGH', versions: [1, 5] }],
    ];
    await t.client.bulk({ refresh: true, operations: docs.flatMap(([id, d]) => [{ index: { _index: 's', _id: id } }, d]) });
  });

  const order = async (sort: unknown, extra: Record<string, unknown> = {}) =>
    (await t.client.search({ index: 's', sort: sort as never, ...extra })).hits.hits.map((h) => h._id);

  it("sorts by the page's { field: 'desc' }, documents without a value last, each hit with its sort values and no score", async () => {
    const r = await t.client.search({ index: 's', sort: [{ score: 'desc' }] });
    expect(r.hits.hits.map((h) => [h._id, h._score, h.sort])).toEqual([
      // A float field keeps single precision: the node answers 9.8 as 9.800000190734863.
      ['b', null, [Math.fround(9.8)]],
      ['d', null, [7.5]],
      ['a', null, [5]],
      // Without a value: the float stand-in that sorts last, written as a string, as a node writes -Infinity.
      ['c', null, ['-Infinity']],
    ]);
    expect(r.hits.max_score).toBeNull();
    expect(await order([{ score: { order: 'asc' } }])).toEqual(['a', 'd', 'b', 'c']);
    expect(await order([{ score: { order: 'asc', missing: '_first' } }])).toEqual(['c', 'a', 'd', 'b']);
  });

  it('sorts by several keys in turn, dates as epoch millis, many values by their min ascending and max descending', async () => {
    expect(await order([{ severity: 'asc' }, { score: 'desc' }])).toEqual(['b', 'd', 'c', 'a']);
    const byDate = await t.client.search({ index: 's', sort: [{ at: { order: 'desc' } }] });
    expect(byDate.hits.hits.map((h) => [h._id, h.sort?.[0]])).toEqual([
      ['c', Date.parse('2024-01-03T00:00:00Z')],
      ['a', Date.parse('2024-01-02T00:00:00Z')],
      ['b', Date.parse('2024-01-01T00:00:00Z')],
      ['d', -(2 ** 63)],
    ]);
    expect(await order([{ versions: 'asc' }])).toEqual(['d', 'a', 'b', 'c']);
    expect(await order([{ versions: 'desc' }])).toEqual(['a', 'd', 'b', 'c']);
    expect(await order(['severity', { score: 'asc' }], { from: 1, size: 2 })).toEqual(['b', 'c']);
  });

  it("pages with search_after from the last hit's sort values, missing values included, as Kibana's findings table does", async () => {
    const first = await t.client.search({ index: 's', size: 2, sort: [{ score: 'desc' }, { severity: 'asc' }] });
    expect(first.hits.hits.map((h) => h._id)).toEqual(['b', 'd']);
    const next = await t.client.search({ index: 's', size: 2, sort: [{ score: 'desc' }, { severity: 'asc' }], search_after: first.hits.hits[1]?.sort });
    expect(next.hits.hits.map((h) => [h._id, h.sort])).toEqual([
      ['a', [5, 'LOW']],
      ['c', ['-Infinity', 'HIGH']],
    ]);
    const last = await t.client.search({ index: 's', size: 2, sort: [{ score: 'desc' }, { severity: 'asc' }], search_after: next.hits.hits[1]?.sort });
    expect(last.hits.hits).toEqual([]);
    const byKeyword = await t.client.search({
      index: 's',
      sort: [{ severity: 'desc' }, { at: 'asc' }],
      search_after: ['HIGH', Date.parse('2024-01-01T00:00:00Z')],
    });
    expect(byKeyword.hits.hits.map((h) => [h._id, h.sort])).toEqual([
      ['c', ['HIGH', Date.parse('2024-01-03T00:00:00Z')]],
      ['d', ['HIGH', 2 ** 63]],
    ]);
    await expect(t.client.search({ index: 's', sort: [{ score: 'desc' }], search_after: [1, 2] })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('fails on a field no index maps (unless unmapped_type) and on a text field, as a node does', async () => {
    const unmapped = await t.client.search({ index: 's', sort: [{ nope: 'desc' }] }).catch((e: errors.ResponseError) => e);
    expect((unmapped as errors.ResponseError).statusCode).toBe(400);
    expect((unmapped as errors.ResponseError).body).toMatchObject({
      error: {
        type: 'search_phase_execution_exception',
        root_cause: [{ type: 'query_shard_exception', reason: 'No mapping found for [nope] in order to sort on' }],
      },
    });
    expect(await order([{ nope: { order: 'desc', unmapped_type: 'keyword' } }])).toEqual(['a', 'b', 'c', 'd']);
    const text = await t.client.search({ index: 's', sort: [{ title: 'asc' }] }).catch((e: errors.ResponseError) => e);
    expect((text as errors.ResponseError).body).toMatchObject({
      error: { root_cause: [{ reason: expect.stringMatching(/^Fielddata is disabled on \[title\]/) }] },
    });
  });
});
