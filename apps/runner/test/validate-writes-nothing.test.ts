import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();

describe('validate checks output paths without creating anything (issue 9, point 6)', () => {
  it('accepts paths in directories that do not exist yet, and creates none of them', async () => {
    const s = await h.simulator({ images: 5 });
    const file = await h.config(liveConfig(s.url, '  - type: csv\n    path: brand/new/dir/x.csv\n  - type: jsonl\n    path: evidence-{date}/x.jsonl\n'));
    const r = await h.cli(['validate', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/config OK/);
    expect(await readdir(h.dir)).toEqual(['config.yaml']);
  });

  it("answers at once for a path under /proc (Node's recursive mkdir spins there), and run refuses it with exit 2", async () => {
    const s = await h.simulator({ images: 5 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: /proc/nope/x.jsonl\n'));
    const validate = await h.cli(['validate', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect([0, 2]).toContain(validate.code);
    const run = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/QCS_OUTPUT_UNWRITABLE.*\/proc\/nope/);
  });

  it('refuses a path whose parent is a file', async () => {
    const s = await h.simulator({ images: 5 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: config.yaml/x.jsonl\n'));
    const r = await h.cli(['validate', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\.yaml is a file, not a directory|a parent of .* is a file/);
  });
});
