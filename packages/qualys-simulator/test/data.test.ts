import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyTies, generateImages } from '../src/index.js';
import { useSimulator } from './support.js';

const start = useSimulator();
const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

describe('data set', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(JSON.stringify(generateImages(300, 4))).toBe(JSON.stringify(generateImages(300, 4)));
    expect(generateImages(5, 4)[0]?.sha).not.toBe(generateImages(5, 5)[0]?.sha);
  });

  it('has the v1.3 list sample fields with their quirky types, ties and a created "0" group', () => {
    const images = generateImages(2000, 1);
    const i = images[10] as Record<string, unknown>;
    for (const key of [
      'created',
      'updated',
      'sha',
      'repo',
      'repoDigests',
      'uuid',
      'size',
      'vulnerabilities',
      'imageId',
      'lastFoundOnHost',
      'riskScoreCalculatedDate',
      'qdsSeverity',
      'compliance',
      'lastComplianceScanDate',
      'scanTypes',
      'criticalityUpdated',
    ]) {
      expect(i, key).toHaveProperty(key);
    }
    expect(typeof i['created']).toBe('string');
    expect(typeof i['riskScoreCalculatedDate']).toBe('number');
    expect(String((i['lastFoundOnHost'] as { lastUpdated: string } | null)?.lastUpdated ?? '2024-01-01T00:00:00.000Z')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(images.filter((x) => x.created === '0').length).toBe(20);
    const created = images.map((x) => x.created);
    expect(new Set(created).size).toBeLessThan(created.length - 20);
    expect(images.some((x) => 'sbomSummary' in x)).toBe(true);
  });

  it('generates a 20,000-image set of that length, identical on every run', () => {
    const first = generateImages(20_000, 1);
    expect(first).toHaveLength(20_000);
    expect(new Set(first.map((i) => i.sha)).size).toBe(20_000);
    expect(digest(generateImages(20_000, 1))).toBe(digest(first));
  });
});

describe('now: the data set anchor', () => {
  it('defaults to 2026-11-01 and, when set, anchors the (still deterministic) set at that instant', async () => {
    const anchor = Date.UTC(2020, 0, 1);
    const s = await start({ images: 300, now: anchor });
    expect(digest(s.images())).toBe(digest(generateImages(300, 1, { now: anchor })));
    const newest = Math.max(...s.images().map((i) => Number(i.updated)));
    // `updated` is the scan instant plus up to 999 ms, so nothing is later than a second past the anchor
    expect(newest).toBeLessThan(anchor + 1000);
    expect(newest).toBeGreaterThan(anchor - 400 * 86_400_000);
    await s.close();
    const d = await start({ images: 300 });
    expect(digest(d.images())).toBe(digest(generateImages(300, 1, { now: Date.UTC(2026, 10, 1) })));
  });
});

describe('ties', () => {
  it.each(['created', 'updated'] as const)('gives the first `size` images one %s value inside the data range, deterministically', async (field) => {
    const plain = generateImages(1000, 3);
    const s = await start({ images: 1000, seed: 3, ties: { field, size: 250 } });
    const images = s.images();
    const value = images[0]?.[field] as string;
    expect(images.slice(0, 250).every((i) => i[field] === value)).toBe(true);
    expect(images.slice(250).map((i) => i[field])).toEqual(plain.slice(250).map((i) => i[field]));
    const values = plain.map((i) => Number(i[field]));
    expect(Number(value)).toBeGreaterThan(Math.min(...values));
    expect(Number(value)).toBeLessThan(Math.max(...values)); // for `updated`: not the newest
    expect(digest(generateImages(1000, 3, { ties: { field, size: 250 } }))).toBe(digest(images));
  });

  it('ties every image when the set is smaller than `size`', () => {
    const images = generateImages(40, 2);
    applyTies(images, { field: 'updated', size: 100 });
    expect(new Set(images.map((i) => i.updated)).size).toBe(1);
  });
});
