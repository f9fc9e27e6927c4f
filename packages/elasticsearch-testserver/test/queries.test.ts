import type { errors } from '@elastic/elasticsearch';
import { beforeEach, describe, expect, it } from 'vitest';
import { useServer } from './support.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('queries: range with date math, term case_insensitive, match and match_phrase, by the index mapping', () => {
  const t = useServer();
  const now = Date.now();
  beforeEach(async () => {
    await t.client.indices.create({
      index: 'findings',
      mappings: {
        dynamic: false,
        properties: {
          '@timestamp': { type: 'date' },
          vulnerability: {
            properties: {
              severity: { type: 'keyword' },
              score: { properties: { base: { type: 'float' } } },
              title: { type: 'text', fields: { keyword: { type: 'keyword' } } },
            },
          },
        },
      },
    });
    const docs: Array<[string, Record<string, unknown>]> = [
      [
        'hour',
        { '@timestamp': new Date(now - HOUR).toISOString(), vulnerability: { severity: 'HIGH', score: { base: 7.5 }, title: 'OpenSSL buffer overflow' } },
      ],
      ['tendays', { '@timestamp': now - 10 * DAY, vulnerability: { severity: 'critical', score: { base: 9.8 }, title: 'Overflow in the buffer of zlib' } }],
      ['old', { '@timestamp': new Date(now - 100 * DAY).toISOString(), vulnerability: { severity: 'LOW', score: { base: 2 }, title: 'curl' }, extra: 'x' }],
      ['day-start', { '@timestamp': '2024-03-10T00:00:00Z', vulnerability: { severity: 'MEDIUM', score: { base: 5 } } }],
      ['day-end', { '@timestamp': '2024-03-10T23:59:59.999Z', vulnerability: { severity: 'MEDIUM', score: { base: 5.5 } } }],
      ['next-day', { '@timestamp': '2024-03-11T03:00:00+02:00', vulnerability: { severity: 'MEDIUM', score: { base: 6 } } }],
    ];
    await t.client.bulk({ refresh: true, operations: docs.flatMap(([id, doc]) => [{ index: { _index: 'findings', _id: id } }, doc]) });
  });

  const ids = async (query: Record<string, unknown>) => (await t.client.search({ index: 'findings', size: 100, query })).hits.hits.map((h) => h._id).sort();

  it("filters @timestamp with Kibana's retention window (now-90d, older now-3d) over ISO strings and epoch millis", async () => {
    expect(await ids({ bool: { filter: [{ range: { '@timestamp': { gte: 'now-90d', lte: 'now' } } }] } })).toEqual(['hour', 'tendays']);
    expect(await ids({ range: { '@timestamp': { gte: 'now-3d', lte: 'now' } } })).toEqual(['hour']);
    expect(await ids({ range: { '@timestamp': { gt: 'now-2h', lt: 'now' } } })).toEqual(['hour']);
    expect(await ids({ range: { '@timestamp': { lt: 'now-90d/d' } } })).toEqual(['day-end', 'day-start', 'next-day', 'old']);
    expect(await ids({ range: { '@timestamp': { gte: now - 11 * DAY, lte: new Date(now - 9 * DAY).toISOString() } } })).toEqual(['tendays']);
  });

  it('rounds date math and dates without a time as a node does: gte and lt down, lte and gt up', async () => {
    expect(await ids({ range: { '@timestamp': { gte: '2024-03-10T12:00:00Z||/d', lte: '2024-03-10T06:00:00Z||/d' } } })).toEqual(['day-end', 'day-start']);
    expect(await ids({ range: { '@timestamp': { gt: '2024-03-10||/d', lt: '2024-03-12' } } })).toEqual(['next-day']);
    expect(await ids({ range: { '@timestamp': { gte: '2024-03-10', lte: '2024-03-10' } } })).toEqual(['day-end', 'day-start']);
    expect(await ids({ range: { '@timestamp': { gte: '2024-03-09||+1d', lt: '2024-03-10T23:00:00Z||+3h' } } })).toEqual(['day-end', 'day-start', 'next-day']);
    const bad = await t.client.search({ index: 'findings', query: { range: { '@timestamp': { gte: 'yesterday' } } } }).catch((e: errors.ResponseError) => e);
    expect((bad as errors.ResponseError).statusCode).toBe(400);
  });

  it('compares numbers by value with gte, gt, lte and lt', async () => {
    expect(await ids({ range: { 'vulnerability.score.base': { gte: 7, lt: 9.8 } } })).toEqual(['hour']);
    expect(await ids({ range: { 'vulnerability.score.base': { gt: 5.5, lte: '7.5' } } })).toEqual(['hour', 'next-day']);
  });

  it('matches term with case_insensitive, and match on a keyword by its exact value', async () => {
    expect(await ids({ term: { 'vulnerability.severity': { value: 'CRITICAL', case_insensitive: true } } })).toEqual(['tendays']);
    expect(await ids({ term: { 'vulnerability.severity': { value: 'CRITICAL' } } })).toEqual([]);
    expect(await ids({ match: { 'vulnerability.severity': 'HIGH' } })).toEqual(['hour']);
    expect(await ids({ match: { 'vulnerability.severity': { query: 'high' } } })).toEqual([]);
    expect(await ids({ match_phrase: { 'vulnerability.title.keyword': 'curl' } })).toEqual(['old']);
  });

  it('matches text by token (any, or all with operator and) and match_phrase by tokens in order', async () => {
    expect(await ids({ match: { 'vulnerability.title': 'openssl zlib' } })).toEqual(['hour', 'tendays']);
    expect(await ids({ match: { 'vulnerability.title': { query: 'buffer overflow openssl', operator: 'and' } } })).toEqual(['hour']);
    expect(await ids({ match_phrase: { 'vulnerability.title': 'Buffer Overflow' } })).toEqual(['hour']);
    expect(await ids({ term: { 'vulnerability.title': 'OpenSSL' } })).toEqual([]);
    expect(await ids({ term: { 'vulnerability.title': 'openssl' } })).toEqual(['hour']);
  });

  it('matches nothing on a field the index does not map, and still refuses a query it does not know', async () => {
    expect(await ids({ term: { extra: 'x' } })).toEqual([]);
    expect(await ids({ exists: { field: 'extra' } })).toEqual([]);
    expect(await ids({ bool: { must: [], filter: [], should: [{ match: { 'vulnerability.severity': 'LOW' } }], must_not: [] } })).toEqual(['old']);
    const twoOfThree = { should: ['HIGH', 'LOW', 'MEDIUM'].map((s) => ({ term: { 'vulnerability.severity': s } })) };
    expect(await ids({ bool: { ...twoOfThree, minimum_should_match: '100%' } })).toEqual([]);
    expect(await ids({ bool: { ...twoOfThree, minimum_should_match: '-2' } })).toEqual(['day-end', 'day-start', 'hour', 'next-day', 'old']);
    const unknown = await t.client.search({ index: 'findings', query: { query_string: { query: 'x' } } }).catch((e: errors.ResponseError) => e);
    expect((unknown as errors.ResponseError).body).toMatchObject({
      error: { type: 'parsing_exception', reason: expect.stringContaining('unknown query [query_string]') },
    });
  });
});
