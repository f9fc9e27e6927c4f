import type { errors } from '@elastic/elasticsearch';
import { beforeEach, describe, expect, it } from 'vitest';
import { useServer } from './support.js';

const LATEST = 'security_solution-qualys_cs.vulnerability_latest';
// The index pattern Kibana's findings page searches, as getVulnerabilitiesQuery names it.
const KIBANA = 'security_solution-*.vulnerability_latest,logs-cloud_security_posture.vulnerabilities_latest-default';

const fail = (p: Promise<unknown>) =>
  p.then(
    () => undefined as unknown as errors.ResponseError,
    (e: errors.ResponseError) => e,
  );

describe('index expressions in _search, _count, _delete_by_query and _refresh', () => {
  const t = useServer();
  beforeEach(async () => {
    await t.client.indices.create({ index: `${LATEST}-v1`, aliases: { [LATEST]: { is_write_index: true } } });
    await t.client.bulk({
      refresh: true,
      operations: [
        { index: { _index: LATEST, _id: 'a' } },
        { n: 1 },
        { index: { _index: LATEST, _id: 'b' } },
        { n: 2 },
        { index: { _index: 'other', _id: 'c' } },
        { n: 3 },
      ],
    });
  });

  it("answers Kibana's comma list of a wildcard and a missing concrete name with ignore_unavailable=true, and 404s without it", async () => {
    const found = await t.client.search({ index: KIBANA, ignore_unavailable: true });
    expect(found.hits.hits.map((h) => [h._index, h._id])).toEqual([
      [`${LATEST}-v1`, 'a'],
      [`${LATEST}-v1`, 'b'],
    ]);
    expect((await t.client.count({ index: KIBANA, ignore_unavailable: true })).count).toBe(2);
    const missing = await fail(t.client.search({ index: KIBANA }));
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toMatchObject({
      error: { type: 'index_not_found_exception', reason: 'no such index [logs-cloud_security_posture.vulnerabilities_latest-default]' },
    });
  });

  it('resolves an alias to its indices, names each index once, and takes away -exclusions', async () => {
    expect((await t.client.count({ index: LATEST })).count).toBe(2);
    expect((await t.client.count({ index: `${LATEST},${LATEST}-v1,security_solution-*` })).count).toBe(2);
    expect((await t.client.count({ index: '*' })).count).toBe(3);
    expect((await t.client.count({ index: '*,-other' })).count).toBe(2);
    expect((await t.client.count({ index: `other,${LATEST}` })).count).toBe(3);
  });

  it('gives an empty result for a wildcard that matches nothing, and a 404 for it with allow_no_indices=false', async () => {
    const none = await t.client.search({ index: 'nothing-*' });
    expect(none.hits).toMatchObject({ total: { value: 0, relation: 'eq' }, hits: [] });
    expect((await t.client.count({ index: 'nothing-*', ignore_unavailable: true })).count).toBe(0);
    expect((await t.client.search({ index: 'nope', ignore_unavailable: true })).hits.hits).toEqual([]);
    const strict = await fail(t.client.search({ index: 'nothing-*', allow_no_indices: false }));
    expect(strict.statusCode).toBe(404);
    expect(strict.body).toMatchObject({ error: { type: 'index_not_found_exception', reason: 'no such index [nothing-*]' } });
  });

  it('deletes by query and refreshes through an alias and a comma list with a missing name', async () => {
    await t.client.indices.refresh({ index: `${LATEST},nope`, ignore_unavailable: true });
    await expect(t.client.indices.refresh({ index: `${LATEST},nope` })).rejects.toMatchObject({ statusCode: 404 });
    const deleted = await t.client.deleteByQuery({ index: `${LATEST},nope`, ignore_unavailable: true, query: { term: { n: 1 } } });
    expect(deleted).toMatchObject({ total: 1, deleted: 1 });
    expect([...t.server.documents(`${LATEST}-v1`).keys()]).toEqual(['b']);
    expect((await t.client.deleteByQuery({ index: 'security_solution-*', query: { match_all: {} } })).deleted).toBe(1);
    expect(t.server.documents(LATEST).size).toBe(0);
  });
});
