import { describe, expect, it } from 'vitest';
import { startElasticsearchTestServer } from '@qcs-export/elasticsearch-testserver';
import { imageFindings, type QualysSimulator } from '@qcs-export/qualys-simulator';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

// Issue 20, point 4, in Elasticsearch: a compared run's findings carry qualys_cs.change, and its fixed findings are
// documents of their own in a findings index, while Kibana's latest index keeps current findings only.
const h = useCliHarness();
const env = { QUALYS_PASSWORD: PASSWORD };
const VULNS = '  vulnerabilities: { from: details }\n';

type Doc = { qualys_cs: { change?: string; qid: number }; resource: { id: string } };
const serverFindings = (s: QualysSimulator) => new Set(s.images().flatMap((i) => imageFindings(i).map((f) => `${i.sha}/${String(f['qid'])}`)));

describe('a compared run into Elasticsearch (issue 20, point 4)', () => {
  it('a findings index gets change new or open on every finding, and one fixed document per finding gone; Kibana keeps current ones only', async () => {
    const es = await startElasticsearchTestServer();
    try {
      const s = await h.simulator({ images: 60 });
      const sinks =
        `  - type: elasticsearch\n    node: ${es.url}\n    index: fnd\n    records: findings\n` +
        `  - type: elasticsearch\n    node: ${es.url}\n    kibana: true\n    records: findings\n`;
      const file = await h.config(liveConfig(s.url, sinks, VULNS));
      const first = await h.cli(['run', '-c', file, '--manifest', 'out/week1.json'], env);
      expect(first.code, first.stderr).toBe(0);
      const before = serverFindings(s);
      s.removeImages(5);
      s.addImages(4);
      const now = serverFindings(s);
      const fixed = [...before].filter((k) => !now.has(k));
      expect(fixed.length).toBeGreaterThan(0);

      const second = await h.cli(['run', '-c', file, '--json', '--manifest', 'out/week2.json', '--compare-to', 'out/week1.json'], env);
      expect(second.code, second.stderr).toBe(0);
      const docs = [...es.documents('fnd').values()].map((d) => d._source as Doc);
      const keyOf = (d: Doc) => `${d.resource.id}/${d.qualys_cs.qid}`;
      const current = docs.filter((d) => d.qualys_cs.change !== 'fixed');
      expect(new Set(current.map(keyOf))).toEqual(now);
      for (const d of current) expect([keyOf(d), d.qualys_cs.change]).toEqual([keyOf(d), before.has(keyOf(d)) ? 'open' : 'new']);
      expect(
        docs
          .filter((d) => d.qualys_cs.change === 'fixed')
          .map(keyOf)
          .sort(),
      ).toEqual(fixed.sort());

      // Kibana's latest index: the current findings only (one document per package), none of them fixed.
      const latest = [...es.documents('security_solution-qualys_cs.vulnerability_latest-v1').values()].map((d) => d._source as Doc);
      // (a finding without packages is one document too).
      expect(new Set(latest.map(keyOf))).toEqual(now);
      expect(latest.some((d) => d.qualys_cs.change === 'fixed')).toBe(false);
      const outcome = JSON.parse(second.stdout) as { sinks: Array<{ records: number; delivered?: number; details?: Record<string, unknown> }> };
      expect(outcome.sinks[0]).toMatchObject({ records: now.size + fixed.length });
      expect(outcome.sinks[1]?.details).toMatchObject({ fixedFindingsNotKept: fixed.length });
    } finally {
      await es.close();
    }
  });
});
