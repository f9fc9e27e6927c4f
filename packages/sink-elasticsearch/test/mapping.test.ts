import { describe, expect, it } from 'vitest';
import { makeTestRecords } from '@qcs-export/sink-testkit';
import { elasticsearchOptions, IMAGE_PROPERTIES, imageTemplate } from '../src/index.js';

/** Every leaf path of a document, through arrays, as a.b.c. */
function leafPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) leafPaths(item, prefix, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leafPaths(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out.add(prefix);
  return out;
}

/** The mapping at a path, or the opaque object above it (enabled: false), or undefined when nothing maps it. */
function mappingAt(path: string): { type?: string; enabled?: boolean } | undefined {
  let node: { properties?: Record<string, unknown>; type?: string; enabled?: boolean } | undefined = { properties: IMAGE_PROPERTIES };
  for (const segment of path.split('.')) {
    if (node?.enabled === false) return node;
    node = node?.properties?.[segment] as typeof node;
  }
  return node;
}

describe('elasticsearch mapping', () => {
  it('maps every field of the record explicitly, so no known field depends on dynamic mapping', () => {
    const records = makeTestRecords(200, { hostile: true });
    const doc = records.map((r) => ({
      '@timestamp': '2026-01-01T00:00:00.000Z',
      ...r,
      vulnerabilities: [
        {
          qid: 1,
          severity: 5,
          title: 't',
          result: 'r',
          typeDetected: 'C',
          firstFound: null,
          lastFound: null,
          layerSha: null,
          software: [{ name: 'x' }],
          extra: { a: 1 },
        },
      ],
      layers: [{ id: 'i', sha: 's', size: 1, created: null, createdBy: 'c', comment: null, tags: ['t'], extra: {} }],
      lastFoundOnHost: { sensorUuid: 'a', hostname: 'h', ipAddress: '10.0.0.1', uuid: 'u', lastUpdated: '2026-01-01T00:00:00.000Z' },
    }));
    const paths = new Set(doc.flatMap((d) => [...leafPaths(d)]));
    expect(paths.size).toBeGreaterThan(50);
    const unmapped = [...paths].filter((p) => !mappingAt(p));
    expect(unmapped).toEqual([]);
    // Every top-level key of the record has a mapping, including ones the test records leave null.
    // `software` is optional on the record: only a run that writes the software grain fetches it.
    expect(Object.keys(IMAGE_PROPERTIES).sort()).toEqual([...new Set(['@timestamp', 'runId', 'software', ...Object.keys(records[0] as object)])].sort());
  });

  it('maps dates as date, ids and names as keyword, counts as numbers, and repositories as searchable text too', () => {
    expect(mappingAt('created')?.type).toBe('date');
    expect(mappingAt('lastFoundOnHost.lastUpdated')?.type).toBe('date');
    expect(mappingAt('sha')?.type).toBe('keyword');
    expect(mappingAt('imageId')?.type).toBe('keyword');
    expect(mappingAt('vulnerabilityCounts.severity5Count')?.type).toBe('integer');
    expect(mappingAt('size')?.type).toBe('long');
    expect(mappingAt('repo.repository')).toMatchObject({ type: 'keyword', fields: { text: { type: 'text' } } });
    expect(mappingAt('extra')).toMatchObject({ enabled: false });
  });

  it('builds a data stream template only when asked, matching exactly the configured name', () => {
    expect(imageTemplate('qualys-images', { dataStream: false, toolVersion: '1' })).toMatchObject({
      index_patterns: ['qualys-images'],
      template: { mappings: { dynamic: false } },
    });
    expect(imageTemplate('qualys-images', { dataStream: false, toolVersion: '1' })).not.toHaveProperty('data_stream');
    expect(imageTemplate('qualys-history', { dataStream: true, toolVersion: '1' })).toHaveProperty('data_stream', {});
  });
});

describe('elasticsearch options', () => {
  const problems = (o: Record<string, unknown>) =>
    elasticsearchOptions
      .safeParse(o)
      .error?.issues.map((i) => i.message)
      .join('; ');
  it('accepts https and loopback http nodes, and refuses plain http elsewhere or credentials in the URL', () => {
    expect(problems({ node: 'https://es.example:9200', index: 'qualys-images' })).toBeUndefined();
    expect(problems({ node: ['http://127.0.0.1:9200', 'http://localhost:9201'], index: 'qualys-images' })).toBeUndefined();
    expect(problems({ node: 'http://es.example:9200', index: 'x' })).toMatch(/plain http:\/\/ to es\.example/);
    expect(problems({ node: 'https://elastic:pw@es.example', index: 'x' })).toMatch(/must not contain credentials/);
  });
  it('refuses index names Elasticsearch would refuse, saying why', () => {
    expect(problems({ node: 'https://es.example', index: 'Qualys' })).toMatch(/lowercase/);
    expect(problems({ node: 'https://es.example', index: 'a b' })).toMatch(/may not contain/);
    expect(problems({ node: 'https://es.example', index: '_x' })).toMatch(/may not start/);
  });
  it('takes one kind of credentials, never an empty one', () => {
    expect(problems({ node: 'https://es.example', index: 'x', auth: { apiKey: '' } })).toMatch(/apiKey is empty/);
    expect(problems({ node: 'https://es.example', index: 'x', auth: { apiKey: 'k', bearer: 'b' } })).toBeDefined();
  });
});
