import type { errors } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { itemsOf, useServer } from './support.js';

const fail = (p: Promise<unknown>) =>
  p.then(
    () => undefined as unknown as errors.ResponseError,
    (e: errors.ResponseError) => e,
  );

describe('aliases', () => {
  const t = useServer();

  it('creates an index with a write alias, and GET/HEAD _alias show it as a node does', async () => {
    await t.client.indices.create({ index: 'findings-v1', aliases: { findings: { is_write_index: true }, all: {} } });
    await t.client.indices.create({ index: 'plain' });
    expect(await t.client.indices.getAlias({ name: 'findings' })).toEqual({ 'findings-v1': { aliases: { findings: { is_write_index: true } } } });
    expect(await t.client.indices.getAlias({ index: 'findings-v1' })).toEqual({ 'findings-v1': { aliases: { findings: { is_write_index: true }, all: {} } } });
    expect(await t.client.indices.getAlias()).toEqual({ 'findings-v1': { aliases: { findings: { is_write_index: true }, all: {} } }, plain: { aliases: {} } });
    expect(await t.client.indices.existsAlias({ name: 'findings' })).toBe(true);
    expect(await t.client.indices.existsAlias({ name: 'nope' })).toBe(false);
    expect(await t.client.indices.exists({ index: 'findings' })).toBe(true);
    expect((await t.client.indices.get({ index: 'findings' }))['findings-v1']?.aliases).toEqual({ findings: { is_write_index: true }, all: {} });
    const missing = await fail(t.client.indices.getAlias({ name: 'findings,nope' }));
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toEqual({ error: 'alias [nope] missing', status: 404, 'findings-v1': { aliases: { findings: { is_write_index: true } } } });
  });

  it('applies a template’s aliases to an index created from it, explicitly or by a first write', async () => {
    await t.client.indices.putIndexTemplate({
      name: 'latest',
      index_patterns: ['latest-*'],
      template: { aliases: { latest: { is_write_index: true }, '{index}-read': {} } },
    });
    await t.client.bulk({ operations: [{ index: { _index: 'latest-1', _id: 'a' } }, { n: 1 }] });
    expect(await t.client.indices.getAlias({ index: 'latest-1' })).toEqual({
      'latest-1': { aliases: { latest: { is_write_index: true }, 'latest-1-read': {} } },
    });
    const second = await fail(t.client.indices.create({ index: 'latest-2' }));
    expect(second.statusCode).toBe(500);
    expect(second.body).toMatchObject({
      error: { type: 'illegal_state_exception', reason: 'alias [latest] has more than one write index [latest-1,latest-2]' },
    });
    await t.client.indices.create({ index: 'latest-2', aliases: { latest: { is_write_index: false } } });
    expect((await t.client.indices.getAlias({ name: 'latest' }))['latest-2']).toEqual({ aliases: { latest: { is_write_index: false } } });
  });

  it('sends writes to an alias to its write index, or its only index, and refuses them when it has neither', async () => {
    await t.client.indices.create({ index: 'v1', aliases: { cur: {} } });
    const one = await t.client.bulk({ operations: [{ index: { _index: 'cur', _id: 'a' } }, { n: 1 }] });
    expect(itemsOf(one)[0]).toMatchObject({ _index: 'v1', status: 201 });
    expect(await t.client.index({ index: 'cur', id: 'b', document: { n: 2 } })).toMatchObject({ _index: 'v1', result: 'created' });
    await t.client.indices.create({ index: 'v2' });
    await t.client.indices.putAlias({ index: 'v2', name: 'cur' });
    const refused = await t.client.bulk({ operations: [{ index: { _index: 'cur', _id: 'c' } }, { n: 3 }, { delete: { _index: 'cur', _id: 'a' } }] });
    const reason =
      'no write index is defined for alias [cur]. The write index may be explicitly disabled using is_write_index=false or the alias points to ' +
      'multiple indices without one being designated as a write index';
    expect(itemsOf(refused)).toMatchObject([
      { _index: 'cur', status: 400, error: { type: 'illegal_argument_exception', reason } },
      { _index: 'cur', status: 400, error: { type: 'illegal_argument_exception', reason } },
    ]);
    const single = await fail(t.client.index({ index: 'cur', id: 'c', document: {} }));
    expect(single.statusCode).toBe(400);
    expect(single.body).toMatchObject({ error: { type: 'illegal_argument_exception', reason } });
    const get = await fail(t.client.get({ index: 'cur', id: 'a' }));
    expect(get.body).toMatchObject({
      error: { type: 'illegal_argument_exception', reason: expect.stringContaining('has more than one index associated with it') },
    });
    await t.client.indices.putAlias({ index: 'v2', name: 'cur', is_write_index: true });
    const written = await t.client.bulk({ refresh: true, operations: [{ index: { _index: 'cur', _id: 'c' } }, { n: 3 }] });
    expect(itemsOf(written)[0]).toMatchObject({ _index: 'v2', status: 201 });
    expect((await t.client.count({ index: 'cur' })).count).toBe(3);
  });

  it('refuses an index named as an alias, an alias named as an index, and deleting an index through an alias', async () => {
    await t.client.indices.create({ index: 'v1', aliases: { cur: { is_write_index: true } } });
    const index = await fail(t.client.indices.create({ index: 'cur' }));
    expect(index.statusCode).toBe(400);
    expect(index.body).toEqual({
      error: {
        root_cause: [{ type: 'invalid_index_name_exception', reason: 'Invalid index name [cur], already exists as alias', index_uuid: '_na_', index: 'cur' }],
        type: 'invalid_index_name_exception',
        reason: 'Invalid index name [cur], already exists as alias',
        index_uuid: '_na_',
        index: 'cur',
      },
      status: 400,
    });
    const alias = await fail(t.client.indices.putAlias({ index: 'v1', name: 'v1' }));
    expect(alias.body).toMatchObject({
      error: { type: 'invalid_alias_name_exception', reason: 'Invalid alias name [v1]: an index or data stream exists with the same name as the alias' },
    });
    const del = await fail(t.client.indices.delete({ index: 'cur' }));
    expect(del.body).toMatchObject({
      error: {
        type: 'illegal_argument_exception',
        reason: 'The provided expression [cur] matches an alias, specify the corresponding concrete indices instead.',
      },
    });
    const notAnObject = await fail(t.client.indices.create({ index: 'v2', aliases: ['cur'] as never }));
    expect(notAnObject.body).toMatchObject({ error: { type: 'x_content_parse_exception' } });
    expect(await t.client.indices.exists({ index: 'v2' })).toBe(false);
    const filtered = await fail(t.client.indices.putAlias({ index: 'v1', name: 'some', filter: { term: { n: 1 } } }));
    expect(filtered.body).toMatchObject({ error: { type: 'illegal_argument_exception', reason: expect.stringContaining('does not apply alias filters') } });
    const unknownIndex = await fail(t.client.indices.putAlias({ index: 'nope', name: 'x' }));
    expect(unknownIndex.body).toMatchObject({ error: { type: 'index_not_found_exception', reason: 'no such index [nope]' } });
  });

  it('applies POST _aliases actions atomically, reports a remove that found nothing, and 404s when nothing was done', async () => {
    await t.client.indices.create({ index: 'v1', aliases: { cur: { is_write_index: true } } });
    await t.client.indices.create({ index: 'v2' });
    const swap = await t.client.indices.updateAliases({
      actions: [{ remove: { index: 'v1', alias: 'cur' } }, { add: { index: 'v2', alias: 'cur', is_write_index: true } }],
    });
    expect(swap).toEqual({ acknowledged: true, errors: false });
    expect(await t.client.indices.getAlias({ name: 'cur' })).toEqual({ v2: { aliases: { cur: { is_write_index: true } } } });
    // The second add would give the alias two write indices: nothing of the request is applied.
    await expect(
      t.client.indices.updateAliases({ actions: [{ add: { index: 'v1', alias: 'other' } }, { add: { index: 'v1', alias: 'cur', is_write_index: true } }] }),
    ).rejects.toMatchObject({ statusCode: 500 });
    expect(await t.client.indices.existsAlias({ name: 'other' })).toBe(false);
    const partly = await t.client.indices.updateAliases({ actions: [{ remove: { index: 'v1', alias: 'cur' } }, { add: { index: 'v1', alias: 'old' } }] });
    expect(partly).toEqual({
      acknowledged: true,
      errors: true,
      action_results: [
        {
          action: { type: 'remove', indices: ['v1'], aliases: ['cur'] },
          status: 404,
          error: { type: 'aliases_not_found_exception', reason: 'aliases [cur] missing', 'resource.type': 'aliases', 'resource.id': 'cur' },
        },
        { action: { type: 'add', indices: ['v1'], aliases: ['old'] }, status: 200 },
      ],
    });
    const nothing = await fail(t.client.indices.updateAliases({ actions: [{ remove: { index: 'v1', alias: 'zzz' } }] }));
    expect(nothing.statusCode).toBe(404);
    expect(nothing.body).toMatchObject({ error: { type: 'aliases_not_found_exception', reason: 'aliases [zzz] missing' } });
    expect(await t.client.indices.deleteAlias({ index: 'v1', name: 'old' })).toEqual({ acknowledged: true, errors: false });
    await expect(t.client.indices.deleteAlias({ index: 'v1', name: 'old' })).rejects.toMatchObject({ statusCode: 404 });
    await t.client.indices.updateAliases({ actions: [{ remove_index: { index: 'v1' } }] });
    expect(t.server.indices()).toEqual(['v2']);
  });
});
