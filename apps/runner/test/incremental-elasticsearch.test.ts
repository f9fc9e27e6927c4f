import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startElasticsearchTestServer } from '@qcs-export/elasticsearch-testserver';
import { liveConfig, nextSecond, PASSWORD, useCliHarness, withState } from './support.js';

// Incremental runs into Elasticsearch (issue 12), apart from the file-sink cases in incremental.test.ts so the two
// files run side by side.
const h = useCliHarness();
const env = { QUALYS_PASSWORD: PASSWORD };

describe('incremental runs into Elasticsearch with --state / run.state (issue 12)', () => {
  it('Elasticsearch updated in place by the incremental runs holds the same documents as a full run into a fresh index', async () => {
    const es = await startElasticsearchTestServer();
    try {
      const s = await h.simulator({ images: 150 });
      const sinks = (index: string) => `  - type: elasticsearch\n    node: ${es.url}\n    index: ${index}\n`;
      const incremental = await h.config(liveConfig(s.url, sinks('inc-images')) + withState());
      expect((await h.cli(['run', '-c', incremental], env)).code).toBe(0);
      s.updateImages(25);
      s.addImages(5);
      const second = await h.cli(['run', '-c', incremental], env);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/elasticsearch .*inc-images: (2\d|30) records/);
      const full = join(h.dir, 'full.yaml');
      await writeFile(full, liveConfig(s.url, sinks('full-images')));
      expect((await h.cli(['run', '-c', full], env)).code).toBe(0);
      const strip = (docs: Map<string, { source: unknown }>) =>
        new Map([...docs].map(([id, d]) => [id, { ...(d.source as Record<string, unknown>), '@timestamp': undefined, runId: undefined }]));
      const a = strip(es.documents('inc-images') as never);
      const b = strip(es.documents('full-images') as never);
      expect(a.size).toBe(155);
      for (const [id, doc] of b) expect(a.get(id), id).toEqual(doc);
    } finally {
      await es.close();
    }
  });

  it('findings in Elasticsearch: fixed findings of a rescanned image are removed, and a full refresh with removeUnseen drops vanished images', async () => {
    const es = await startElasticsearchTestServer();
    try {
      // Every run enriches its images one details call each, and indexes every finding: a small set keeps that cheap.
      const s = await h.simulator({ images: 50 });
      const sinks = (suffix: string, removeUnseen: boolean) =>
        `  - type: elasticsearch\n    node: ${es.url}\n    index: img${suffix}\n    removeUnseen: ${removeUnseen}\n` +
        `  - type: elasticsearch\n    node: ${es.url}\n    index: fnd${suffix}\n    records: findings\n    removeUnseen: ${removeUnseen}\n`;
      const vulns = '  vulnerabilities: { from: details }\n';
      const file = await h.config(liveConfig(s.url, sinks('', true), vulns) + withState());
      expect((await h.cli(['run', '-c', file], env)).code).toBe(0);
      const docsOf = (index: string, sha: string) =>
        [...es.documents(index).values()].filter((d) => (d._source as { resource: { id: string } }).resource.id === sha);
      type Counts = Record<string, number>;
      const vulnerable = s.images().filter((i) => ((i.vulnerabilities as Counts | null)?.['severity1Count'] ?? 0) >= 1);
      const [partly, wholly] = vulnerable as [(typeof vulnerable)[number], (typeof vulnerable)[number]];
      const before = docsOf('fnd', partly.sha).length;
      expect(before).toBeGreaterThan(1);
      expect(docsOf('fnd', wholly.sha).length).toBeGreaterThan(0);
      // A rescan: one finding of the first image is fixed, every finding of the second.
      const newest = Math.max(...s.images().map((i) => Number(i.updated)));
      (partly.vulnerabilities as Counts)['severity1Count'] = ((partly.vulnerabilities as Counts)['severity1Count'] ?? 1) - 1;
      wholly.vulnerabilities = Object.fromEntries(Object.keys(wholly.vulnerabilities as Counts).map((k) => [k, 0])) as never;
      partly.updated = String(newest + 1);
      wholly.updated = String(newest + 2);
      s.updateImages(0);
      const second = await h.cli(['run', '-c', file], env);
      expect(second.code, second.stderr).toBe(0);
      // Only the changed images were enriched again: one details call (the other has no vulnerability left to fetch).
      expect(second.stderr).toMatch(/vulnerabilities: \d+ findings? from 1 call · 1 image listed clean needed no call/);
      expect(docsOf('fnd', partly.sha)).toHaveLength(before - 1);
      expect(docsOf('fnd', wholly.sha)).toHaveLength(0);
      // The same as a full export into fresh indices.
      const full = join(h.dir, 'full.yaml');
      await writeFile(full, liveConfig(s.url, sinks('-full', false), vulns));
      expect((await h.cli(['run', '-c', full], env)).code).toBe(0);
      expect([...es.documents('fnd').keys()].sort()).toEqual([...es.documents('fnd-full').keys()].sort());

      // Images gone from the subscription: an incremental run cannot see that; a full refresh with removeUnseen can.
      const gone = s.removeImages(4);
      await nextSecond();
      expect((await h.cli(['run', '-c', file], env)).code).toBe(0);
      expect(es.documents('img').size).toBe(50);
      await nextSecond();
      const refresh = await h.cli(['run', '-c', file, '--full-refresh'], env);
      expect(refresh.code, refresh.stderr).toBe(0);
      expect([...es.documents('img').keys()].sort()).toEqual(
        s
          .images()
          .map((i) => i.sha)
          .sort(),
      );
      for (const sha of gone) expect(docsOf('fnd', sha)).toHaveLength(0);
    } finally {
      await es.close();
    }
  });

  it('a findings index made by an older version (no run id mapped) gets a warning and no delete, since the query would match everything', async () => {
    const es = await startElasticsearchTestServer();
    try {
      const s = await h.simulator({ images: 40 });
      const sink = (index: string) => `  - type: elasticsearch\n    node: ${es.url}\n    index: ${index}\n    records: findings\n`;
      const vulns = '  vulnerabilities: { from: details }\n';
      // The mapping this version installs, less the run id: what an index created before it looks like.
      const current = await h.config(liveConfig(s.url, sink('fnd-now'), vulns));
      expect((await h.cli(['run', '-c', current], env)).code).toBe(0);
      const mappings = structuredClone([...es.templates.values()][0]?.template?.mappings) as {
        properties: { qualys_cs: { properties: Record<string, unknown> } };
      };
      delete mappings.properties.qualys_cs.properties['run_id'];
      const created = await fetch(`${es.url}/fnd-old`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mappings }) });
      expect(created.status).toBe(200);
      const deletesBefore = es.stats.deleteByQuery ?? 0;
      const file = await h.config(liveConfig(s.url, sink('fnd-old'), vulns));
      const first = await h.cli(['run', '-c', file], env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/fnd-old was created by an older qcs-export and does not map qualys_cs\.run_id: .*not removed/);
      const written = es.documents('fnd-old').size;
      expect(written).toBe(es.documents('fnd-now').size);
      // A second run writes the same findings again: nothing may be deleted by a query on the unmapped field.
      expect((await h.cli(['run', '-c', file], env)).code).toBe(0);
      expect(es.documents('fnd-old').size).toBe(written);
      expect(es.stats.deleteByQuery ?? 0).toBe(deletesBefore);
    } finally {
      await es.close();
    }
  });
});
