import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildColumns, DATE_FIELDS, IMAGE_FIELD_NAMES, KNOWN_IMAGE_FIELDS, normalizeImage } from '../src/index.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('the record field list is kept in one place (record-fields.ts)', () => {
  it('the normalizer produces exactly the listed fields, in the listed order, for every endpoint shape', () => {
    const list = fixture('images-v1.3-list.json') as { data: unknown[] };
    const shapes = [
      normalizeImage(list.data[0], 'images'),
      normalizeImage(fixture('image-v1.3-sca.json'), 'images/details'),
      normalizeImage(fixture('image-v1.1-repodigests.json'), 'images/details'),
    ];
    for (const record of shapes) expect(Object.keys(record)).toEqual(IMAGE_FIELD_NAMES);
  });

  it('every date field is an ISO date or null after normalizing, and becomes a date column', () => {
    const record = normalizeImage(fixture('image-v1.3-sca.json'), 'images/details') as unknown as Record<string, unknown>;
    for (const field of DATE_FIELDS) expect(record[field] === null || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(String(record[field]))).toBe(true);
    expect(buildColumns([...DATE_FIELDS], { joinWith: '; ' }).map((c) => c.type)).toEqual([...DATE_FIELDS].map(() => 'date'));
  });

  it('raw names are the known ones: labels come from "label"; derived and internal fields are not read from raw data', () => {
    expect(KNOWN_IMAGE_FIELDS.has('label')).toBe(true);
    for (const name of ['labels', 'vulnerabilityCounts', 'origin', 'extra']) expect(KNOWN_IMAGE_FIELDS.has(name)).toBe(false);
    expect(KNOWN_IMAGE_FIELDS.size).toBe(IMAGE_FIELD_NAMES.length - 3);
  });

  it('a column path may start with any listed field and nothing else', () => {
    const paths = IMAGE_FIELD_NAMES.map((f) => (f === 'extra' ? 'extra.anything' : f));
    expect(buildColumns(paths, { joinWith: '; ' })).toHaveLength(paths.length);
    expect(() => buildColumns(['lastScaned'], { joinWith: '; ' })).toThrow(/did you mean "lastScanned"/);
  });
});
