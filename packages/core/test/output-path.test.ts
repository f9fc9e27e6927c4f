import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, outputPathFor, resolveOutputPath } from '../src/index.js';

const ctx = { startedAt: new Date('2026-03-04T05:06:07.890Z'), baseDir: '/srv/exports' };

describe('outputPathFor', () => {
  it("expands the placeholders at the run's start time and resolves against the run's directory", () => {
    expect(outputPathFor('out/{date}/images-{time}.csv', ctx)).toBe(join('/srv/exports', 'out/2026-03-04/images-050607.csv'));
    expect(outputPathFor('images-{datetime}.jsonl.gz', ctx)).toBe('/srv/exports/images-20260304T050607Z.jsonl.gz');
  });

  it('keeps an absolute path where it is', () => {
    expect(outputPathFor('/var/lib/qcs/{date}.xlsx', ctx)).toBe('/var/lib/qcs/2026-03-04.xlsx');
  });

  it('gives what resolveOutputPath gives with the same time and directory', () => {
    expect(outputPathFor('a/{datetime}.csv', ctx)).toBe(resolveOutputPath('a/{datetime}.csv', { now: ctx.startedAt, baseDir: ctx.baseDir }));
  });

  it('refuses an unknown placeholder as a config error naming the ones that exist', () => {
    expect(() => outputPathFor('out/{hour}.csv', ctx)).toThrow(ConfigError);
    expect(() => outputPathFor('out/{hour}.csv', ctx)).toThrow(/unknown placeholder \{hour\}.*\{date\}, \{time\} or \{datetime\}/);
  });
});
