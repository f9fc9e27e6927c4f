import { describe, expect, it } from 'vitest';
import { useServer } from './support.js';

describe('_index_template/_simulate_index: what a new index of a name would get', () => {
  const t = useServer();
  const mine = {
    name: 'mine',
    index_patterns: ['images-a'],
    priority: 300,
    template: { mappings: { dynamic: false, properties: { sha: { type: 'keyword' } } } },
  };
  const catchAll = { name: 'siem-catchall', index_patterns: ['images-*'], priority: 500, template: { mappings: { properties: { sha: { type: 'text' } } } } };

  it('answers with the winning template’s mappings and lists the templates it overlaps, the one it beat included', async () => {
    await t.client.indices.putIndexTemplate(mine);
    await t.client.indices.putIndexTemplate(catchAll);
    await t.client.indices.putIndexTemplate({ name: 'elsewhere', index_patterns: ['logs-*'], priority: 1 });
    const simulated = await t.client.indices.simulateIndexTemplate({ name: 'images-a' });
    expect(simulated.template.mappings).toEqual({ properties: { sha: { type: 'text' } } });
    // as on a node, the winner is not named; the template that lost to it is among the overlapping ones
    expect(simulated.overlapping).toEqual([{ name: 'mine', index_patterns: ['images-a'] }]);
    // nothing was created
    expect(t.server.indices()).toEqual([]);
  });

  it('with our template the highest, lists the lower one it overlaps; without any match, answers {}', async () => {
    await t.client.indices.putIndexTemplate({ ...catchAll, priority: 100 });
    await t.client.indices.putIndexTemplate(mine);
    const simulated = await t.client.indices.simulateIndexTemplate({ name: 'images-a' });
    expect(simulated.template.mappings).toEqual({ dynamic: false, properties: { sha: { type: 'keyword' } } });
    expect(simulated.overlapping).toEqual([{ name: 'siem-catchall', index_patterns: ['images-*'] }]);
    expect(await t.client.indices.simulateIndexTemplate({ name: 'nothing-matches' })).toEqual({});
  });

  it('an existing index keeps its mapping when a higher-priority template arrives later; simulate shows what a new one would get', async () => {
    await t.client.indices.putIndexTemplate(mine);
    await t.client.indices.create({ index: 'images-a' });
    await t.client.indices.putIndexTemplate(catchAll);
    expect(t.server.mappings('images-a')?.properties?.['sha']).toEqual({ type: 'keyword' });
    expect((await t.client.indices.simulateIndexTemplate({ name: 'images-a' })).template.mappings?.properties?.['sha']).toEqual({ type: 'text' });
  });

  it('simulates a data stream’s backing index with its timestamp mapped as a date', async () => {
    await t.client.indices.putIndexTemplate({
      name: 'ds',
      index_patterns: ['history*'],
      data_stream: {},
      priority: 200,
      template: { mappings: { properties: { sha: { type: 'keyword' } } } },
    });
    const simulated = await t.client.indices.simulateIndexTemplate({ name: 'history' });
    expect(simulated.template.mappings?.properties).toEqual({ sha: { type: 'keyword' }, '@timestamp': { type: 'date' } });
  });

  it('counts patterns as overlapping when they share any name, as ES does (a* and *b), and refuses an equal priority clash on that', async () => {
    await t.client.indices.putIndexTemplate({ name: 'starts', index_patterns: ['a*'], priority: 2 });
    await expect(t.client.indices.putIndexTemplate({ name: 'ends', index_patterns: ['*b'], priority: 2 })).rejects.toMatchObject({ statusCode: 400 });
    await t.client.indices.putIndexTemplate({ name: 'ends', index_patterns: ['*b'], priority: 1 });
    await t.client.indices.putIndexTemplate({ name: 'other', index_patterns: ['c*'], priority: 2 });
    expect((await t.client.indices.simulateIndexTemplate({ name: 'ab' })).overlapping).toEqual([{ name: 'ends', index_patterns: ['*b'] }]);
  });
});
