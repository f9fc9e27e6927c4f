import { describe, expect, it } from 'vitest';
import { itemsOf, useServer } from './support.js';

describe('data streams', () => {
  const t = useServer();
  const template = {
    name: 'ds',
    index_patterns: ['history*'],
    data_stream: {},
    priority: 200,
    template: { mappings: { properties: { sha: { type: 'keyword' } } } },
  };

  it('auto-creates a data stream from a data_stream template and takes create only, each with @timestamp', async () => {
    await t.client.indices.putIndexTemplate(template);
    const r = await t.client.bulk({
      index: 'history',
      operations: [
        { create: {} },
        { '@timestamp': '2026-01-01T00:00:00Z', sha: 'a' },
        { index: {} },
        { '@timestamp': '2026-01-01T00:00:00Z', sha: 'b' },
        { create: {} },
        { sha: 'c' },
      ],
    });
    const [created, indexed, untimed] = itemsOf(r);
    expect(created).toMatchObject({ status: 201, _index: expect.stringMatching(/^\.ds-history-\d{4}\.\d{2}\.\d{2}-000001$/) });
    expect(indexed).toMatchObject({
      status: 400,
      error: { type: 'illegal_argument_exception', reason: 'only write ops with an op_type of create are allowed in data streams' },
    });
    expect(untimed).toMatchObject({
      status: 400,
      error: { type: 'document_parsing_exception', reason: expect.stringMatching(/data stream timestamp field \[@timestamp\] is missing/) },
    });
    expect(t.server.indices()).toEqual(['history']);
    expect([...t.server.documents('history').values()].map((d) => d._source['sha'])).toEqual(['a']);
    expect(t.server.documents(created?._index as string).size).toBe(1);
    expect(t.server.mappings('history')?.properties?.['@timestamp']).toEqual({ type: 'date' });
  });

  it('reports the data stream with its backing index, and deletes it', async () => {
    await t.client.indices.putIndexTemplate(template);
    await t.client.indices.createDataStream({ name: 'history-b' });
    const stream = (await t.client.indices.getDataStream({ name: 'history-b' })).data_streams[0];
    expect(stream).toMatchObject({
      name: 'history-b',
      timestamp_field: { name: '@timestamp' },
      indices: [{ index_name: expect.stringMatching(/^\.ds-history-b-/) }],
      template: 'ds',
    });
    expect(await t.client.indices.exists({ index: 'history-b' })).toBe(true);
    await t.client.indices.deleteDataStream({ name: 'history-b' });
    await expect(t.client.indices.getDataStream({ name: 'history-b' })).rejects.toMatchObject({ statusCode: 404 });
    expect(t.server.indices()).toEqual([]);
  });

  it('refuses to create a data stream no template allows, and a plain index that a data_stream template matches', async () => {
    await expect(t.client.indices.createDataStream({ name: 'nothing' })).rejects.toMatchObject({ statusCode: 400 });
    await t.client.indices.putIndexTemplate(template);
    await expect(t.client.indices.create({ index: 'history-c' })).rejects.toMatchObject({
      statusCode: 400,
      body: { error: { reason: expect.stringMatching(/creates data streams only/) } },
    });
  });

  it('answers 404 for GET /_data_stream of a plain index', async () => {
    await t.client.bulk({ operations: [{ index: { _index: 'plain' } }, { v: 1 }] });
    await expect(t.client.indices.getDataStream({ name: 'plain' })).rejects.toMatchObject({ statusCode: 404 });
  });
});
