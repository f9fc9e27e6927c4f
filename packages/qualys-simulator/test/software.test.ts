import { describe, expect, it } from 'vitest';
import { type QualysSimulator, UNKNOWN_DATE } from '../src/index.js';
import { get, useSimulator } from './support.js';

const start = useSimulator({ images: 60, rateLimit: false });
const SEVERITIES = ['severity1Count', 'severity2Count', 'severity3Count', 'severity4Count', 'severity5Count'];

interface Software {
  name: string;
  version: string;
  scanType: string;
  packagePath: string | null;
  fixVersion: string | null;
  lifecycle: { stage: string | null; lifeCycleConfidence: string | null; eol: string; eos: string; ga: string };
  vulnerabilities: Record<string, number | null>;
}
interface SoftwareAnswer {
  data: Software[];
  count: number;
  softwareCountBySeverity: Record<string, number>;
}

const softwareOf = async (s: QualysSimulator, sha: string) => (await get(s, `/csapi/v1.3/images/${sha}/software`)).body as unknown as SoftwareAnswer;

describe('GET /csapi/v1.3/images/{sha}/software', () => {
  it('lists packages with lifecycle dates as epoch-ms strings, per-package severity counts and counts by severity', async () => {
    const s = await start();
    const answers = await Promise.all(s.images().map((i) => softwareOf(s, i.sha)));
    for (const a of answers) {
      expect(a.count).toBe(a.data.length);
      expect(Object.keys(a.softwareCountBySeverity).sort()).toEqual(SEVERITIES);
      for (const p of a.data) {
        expect(Object.keys(p).sort()).toEqual(['fixVersion', 'lifecycle', 'name', 'packagePath', 'scanType', 'version', 'vulnerabilities']);
        expect(Object.keys(p.lifecycle).sort()).toEqual(['eol', 'eos', 'ga', 'lifeCycleConfidence', 'stage']);
        for (const d of [p.lifecycle.eol, p.lifecycle.eos, p.lifecycle.ga]) expect(d).toMatch(/^-?\d+$/);
        expect([null, 'GA', 'EOL', 'EOS', 'EOL/EOS']).toContain(p.lifecycle.stage);
        expect(Object.keys(p.vulnerabilities).sort()).toEqual(SEVERITIES);
      }
      for (const [k, n] of Object.entries(a.softwareCountBySeverity)) expect(n).toBe(a.data.filter((p) => (p.vulnerabilities[k] ?? 0) > 0).length);
    }
    const all = answers.flatMap((a) => a.data);
    // Qualys' placeholder for an unknown date, all-null counts, packages without a fix, and some past their end of life.
    expect(all.some((p) => p.lifecycle.eol === UNKNOWN_DATE)).toBe(true);
    expect(UNKNOWN_DATE).toBe('-631152000000');
    expect(all.some((p) => SEVERITIES.every((k) => p.vulnerabilities[k] === null))).toBe(true);
    expect(all.some((p) => p.fixVersion === null)).toBe(true);
    const now = Date.UTC(2026, 10, 1);
    const pastEol = all.filter((p) => p.lifecycle.eol !== UNKNOWN_DATE && Number(p.lifecycle.eol) < now);
    expect(pastEol.length).toBeGreaterThanOrEqual(3);
    expect(new Set(all.map((p) => p.lifecycle.stage))).toEqual(new Set([null, 'GA', 'EOL', 'EOS', 'EOL/EOS']));
  });

  it("names every package of every finding, counted by the finding's severity; an image without findings still has packages", async () => {
    const s = await start();
    for (const image of s.images().slice(0, 30)) {
      const findings = (
        (await get(s, `/csapi/v1.3/images/${image.sha}/vuln`, { applyException: 'false' })).body as unknown as { details: Array<Record<string, unknown>> }
      ).details;
      const software = await softwareOf(s, image.sha);
      expect(software.data.length).toBeGreaterThan(0);
      const expected = new Map<string, number[]>();
      for (const f of findings) {
        for (const p of f['software'] as Array<{ name: string; version: string }>) {
          const counts = expected.get(`${p.name} ${p.version}`) ?? [0, 0, 0, 0, 0];
          counts[(f['severity'] as number) - 1] = (counts[(f['severity'] as number) - 1] ?? 0) + 1;
          expected.set(`${p.name} ${p.version}`, counts);
        }
      }
      for (const [key, counts] of expected) {
        const p = software.data.find((d) => `${d.name} ${d.version}` === key);
        expect(p, `${image.sha} ${key}`).toBeDefined();
        expect(SEVERITIES.map((k) => p?.vulnerabilities[k])).toEqual(counts);
      }
    }
    const clean = s.images().find((i) => i.vulnerabilities === null) ?? s.images()[0];
    expect((await softwareOf(s, clean?.sha as string)).data.length).toBeGreaterThan(0);
  });

  it('is deterministic, answers 404 for an unknown image, and is in the images rate-limit bucket', async () => {
    const s = await start({ rateLimit: { list: { limit: 1, windowSec: 60 }, images: { limit: 3, windowSec: 60 } } });
    const sha = s.images()[0]?.sha as string;
    expect(await softwareOf(s, sha)).toEqual(await softwareOf(s, sha));
    expect((await get(s, `/csapi/v1.3/images/${'f'.repeat(64)}/software`)).status).toBe(404);
    expect(s.stats.allowedByBucket).toEqual({ list: 0, images: 3, containersList: 0, containers: 0 });
  });
});
