import { errors } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { imagesTemplate, itemsOf, useServer } from './support.js';

describe('mappings: documents are checked as the mapper parses them', () => {
  const t = useServer();
  const statuses = async (index: string, docs: Array<Record<string, unknown>>) => {
    const r = await t.client.bulk({ operations: docs.flatMap((doc, i) => [{ index: { _index: index, _id: String(i) } }, doc]) });
    return itemsOf(r);
  };

  it('rejects "not a date" in a date field with a 400 document_parsing_exception naming field and id, and keeps the rest', async () => {
    await t.client.indices.putIndexTemplate(imagesTemplate);
    const r = await t.client.bulk({
      operations: [
        { index: { _index: 'images-2', _id: 'ok' } },
        { created: '2024-01-01T00:00:00Z' },
        { index: { _index: 'images-2', _id: 'bad' } },
        { created: 'not a date' },
      ],
    });
    expect(r.errors).toBe(true);
    expect(itemsOf(r)[1]).toMatchObject({
      status: 400,
      error: {
        type: 'document_parsing_exception',
        reason: expect.stringMatching(/failed to parse field \[created\] of type \[date\] in document with id 'bad'/),
        caused_by: { type: 'illegal_argument_exception' },
      },
    });
    expect([...t.server.documents('images-2').keys()]).toEqual(['ok']);
  });

  it('accepts the default date format strict_date_optional_time||epoch_millis and nothing looser', async () => {
    await t.client.indices.putIndexTemplate(imagesTemplate);
    const values = [
      '2024-01-02',
      '2024-01-02T03:04:05Z',
      '2024-01-02T03:04:05.123+02:00',
      '2024-01',
      1704164645000,
      '1704164645000',
      '2024-02-30',
      '2024-01-02 03:04:05',
      '02/01/2024',
      true,
    ];
    const items = await statuses(
      'images-d',
      values.map((created) => ({ created })),
    );
    expect(items.map((i) => i.status)).toEqual([201, 201, 201, 201, 201, 201, 400, 400, 400, 400]);
  });

  it('checks numbers (coercing numeric strings and truncating fractions, refusing text and out-of-range values), keywords and booleans', async () => {
    await t.client.indices.putIndexTemplate({
      name: 'n',
      index_patterns: ['n'],
      template: { mappings: { properties: { i: { type: 'integer' }, f: { type: 'float' }, k: { type: 'keyword' }, b: { type: 'boolean' } } } },
    });
    const items = await statuses('n', [
      { i: 42 },
      { i: '42' },
      { i: 1.5 },
      { i: 'abc' },
      { i: 3_000_000_000 },
      { f: '2.5' },
      { f: 'x' },
      { k: 7 },
      { k: true },
      { k: { a: 1 } },
      { b: 'true' },
      { b: 'yes' },
      { i: [1, 'x'] },
    ]);
    expect(items.map((i) => i.status)).toEqual([201, 201, 201, 400, 400, 201, 400, 201, 201, 400, 201, 400, 400]);
    expect(items[4]?.error?.caused_by?.reason).toBe('Value [3000000000] is out of range for an integer');
  });

  it('checks nested objects through properties, and refuses a concrete value where an object is mapped', async () => {
    await t.client.indices.putIndexTemplate(imagesTemplate);
    const items = await statuses('images-o', [
      { repo: { name: 'a' } },
      { repo: [{ name: 'a' }, { name: 'b' }] },
      { repo: 'flat' },
      { repo: { name: { deep: 1 } } },
      { 'repo.name': 'dotted' },
    ]);
    expect(items.map((i) => i.status)).toEqual([201, 201, 400, 400, 201]);
    expect(items[2]?.error?.reason).toMatch(/object mapping for \[repo\] tried to parse field \[repo\] as object, but found a concrete value/);
  });

  it('refuses an unmapped field under dynamic: strict (strict_dynamic_mapping_exception)', async () => {
    await t.client.indices.putIndexTemplate({
      name: 's',
      index_patterns: ['strict'],
      template: { mappings: { dynamic: 'strict', properties: { a: { type: 'keyword' } } } },
    });
    const items = await statuses('strict', [{ a: 'x' }, { a: 'x', b: 1 }]);
    expect(items[0]?.status).toBe(201);
    expect(items[1]).toMatchObject({
      status: 400,
      error: { type: 'strict_dynamic_mapping_exception', reason: expect.stringMatching(/dynamic introduction of \[b\] within \[_doc\] is not allowed/) },
    });
  });

  it('maps unknown fields dynamically (text+keyword, long, float, boolean, detected dates, objects) and checks later documents against them', async () => {
    await statuses('loose', [{ s: 'hello', n: 1, x: 1.5, b: true, when: '2024-05-01T00:00:00Z', year: '2024', o: { inner: 'v' } }]);
    expect(t.server.mappings('loose')?.properties).toEqual({
      s: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      n: { type: 'long' },
      x: { type: 'float' },
      b: { type: 'boolean' },
      when: { type: 'date' },
      year: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
      o: { properties: { inner: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } } } },
    });
    const later = await t.client.bulk({ operations: [{ index: { _index: 'loose' } }, { when: 'later' }, { index: { _index: 'loose' } }, { n: 'many' }] });
    expect(itemsOf(later).map((i) => i.status)).toEqual([400, 400]);
  });

  it('leaves the mapping unchanged when a document is rejected, even for the fields it would have added', async () => {
    await t.client.indices.putIndexTemplate(imagesTemplate);
    const items = await statuses('images-m', [{ fresh: 'x', created: 'bad date' }]);
    expect(items[0]?.status).toBe(400);
    expect(t.server.mappings('images-m')?.properties?.['fresh']).toBeUndefined();
  });

  it('keeps unmapped fields in _source without mapping them under dynamic: false, and never checks objects under enabled: false', async () => {
    await t.client.indices.putIndexTemplate({
      name: 'f',
      index_patterns: ['f'],
      template: { mappings: { dynamic: false, properties: { opaque: { type: 'object', enabled: false } } } },
    });
    const items = await statuses('f', [{ extra: { any: 'thing' }, opaque: 'a string' }, { opaque: { deep: [1, { x: 'y' }] } }]);
    expect(items.map((i) => i.status)).toEqual([201, 201]);
    expect(t.server.mappings('f')?.properties).toEqual({ opaque: { type: 'object', enabled: false } });
    expect(t.server.documents('f').get('0')?._source).toEqual({ extra: { any: 'thing' }, opaque: 'a string' });
  });
});

describe('mappings: templates and explicit mappings', () => {
  const t = useServer();

  it('applies the matching template of highest priority when an index is auto-created', async () => {
    await t.client.indices.putIndexTemplate({
      name: 'high',
      index_patterns: ['logs-a*'],
      priority: 5,
      template: { mappings: { properties: { v: { type: 'long' } } } },
    });
    await t.client.indices.putIndexTemplate({
      name: 'low',
      index_patterns: ['logs*'],
      priority: 1,
      template: { mappings: { properties: { v: { type: 'keyword' } } } },
    });
    await t.client.bulk({ operations: [{ index: { _index: 'logs-a1' } }, { v: 1 }, { index: { _index: 'logs-b1' } }, { v: 1 }] });
    expect(t.server.mappings('logs-a1')?.properties?.['v']).toEqual({ type: 'long' });
    expect(t.server.mappings('logs-b1')?.properties?.['v']).toEqual({ type: 'keyword' });
  });

  it('stores templates as sent and serves them back (get, exists), 404 once deleted', async () => {
    await t.client.indices.putIndexTemplate({ ...imagesTemplate, priority: 7, _meta: { by: 'test' } });
    expect(t.server.templates.get('images')).toMatchObject({ index_patterns: ['images*'], priority: 7, _meta: { by: 'test' } });
    expect((await t.client.indices.getIndexTemplate({ name: 'images' })).index_templates[0]).toMatchObject({ name: 'images', index_template: { priority: 7 } });
    expect(await t.client.indices.existsIndexTemplate({ name: 'images' })).toBe(true);
    await t.client.indices.deleteIndexTemplate({ name: 'images' });
    expect(await t.client.indices.existsIndexTemplate({ name: 'images' })).toBe(false);
    await expect(t.client.indices.getIndexTemplate({ name: 'images' })).rejects.toMatchObject({
      statusCode: 404,
      body: { error: { type: 'resource_not_found_exception' } },
    });
  });

  it('refuses templates a cluster refuses: no index_patterns, an unknown field type, a clash of equal priority', async () => {
    const refused = async (body: Record<string, unknown>) => {
      const res = await fetch(`${t.server.url}/_index_template/bad`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, type: ((await res.json()) as { error: { type: string } }).error.type };
    };
    expect(await refused({ template: {} })).toEqual({ status: 400, type: 'action_request_validation_exception' });
    expect(await refused({ index_patterns: ['b'], template: { mappings: { properties: { x: { type: 'strnig' } } } } })).toEqual({
      status: 400,
      type: 'mapper_parsing_exception',
    });
    expect(await refused({ index_patterns: ['b'], settngs: {} })).toEqual({ status: 400, type: 'x_content_parse_exception' });
    await t.client.indices.putIndexTemplate({ name: 'first', index_patterns: ['b*'] });
    expect(await refused({ index_patterns: ['bb'] })).toEqual({ status: 400, type: 'illegal_argument_exception' });
    expect(t.server.templates.has('bad')).toBe(false);
  });

  it('creates an index over its template, serves its mapping, merges a put-mapping and refuses a type change', async () => {
    await t.client.indices.putIndexTemplate(imagesTemplate);
    await t.client.indices.create({ index: 'images-x', mappings: { properties: { extra: { type: 'keyword' } } } });
    const mapping = await t.client.indices.getMapping({ index: 'images-x' });
    expect(Object.keys(mapping['images-x']?.mappings.properties ?? {}).sort()).toEqual(['created', 'extra', 'repo', 'sha', 'total']);
    await t.client.indices.putMapping({ index: 'images-x', properties: { more: { type: 'long' } } });
    expect(t.server.mappings('images-x')?.properties?.['more']).toEqual({ type: 'long' });
    await expect(t.client.indices.putMapping({ index: 'images-x', properties: { sha: { type: 'long' } } })).rejects.toMatchObject({
      statusCode: 400,
      body: { error: { reason: 'mapper [sha] cannot be changed from type [keyword] to [long]' } },
    });
    const again = await t.client.indices.create({ index: 'images-x' }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(errors.ResponseError);
    expect((again as errors.ResponseError).body).toMatchObject({ error: { type: 'resource_already_exists_exception' } });
  });
});
