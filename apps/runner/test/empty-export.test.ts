import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();

describe('an export that matches nothing is never silent (issue 9, point 5)', () => {
  it('warns, and still exits 0, by default', async () => {
    const s = await h.simulator({ images: 200 });
    const file = await h.config(liveConfig(s.url, '  - type: csv\n    path: out/images.csv\n', '  filter: "riskScore>1000"\n'));
    const r = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warn: Qualys holds no image for the filter riskScore>1000: every output is empty.*run\.failOnEmpty/);
  });

  it('with run.failOnEmpty fails with exit 5 and replaces no previous file', async () => {
    const s = await h.simulator({ images: 200 });
    await mkdir(join(h.dir, 'out'));
    await writeFile(join(h.dir, 'out/images.csv'), 'last week\n');
    const file = await h.config(`${liveConfig(s.url, '  - type: csv\n    path: out/images.csv\n', '  filter: "riskScore>1000"\n')}run:\n  failOnEmpty: true\n`);
    const r = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/error \[QCS_EMPTY_EXPORT\]: Qualys holds no image for the filter riskScore>1000; nothing was written/);
    expect(await readFile(join(h.dir, 'out/images.csv'), 'utf8')).toBe('last week\n');
    expect(await readdir(join(h.dir, 'out'))).toEqual(['images.csv']);
  });
});
