import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();

describe('two sinks, one output: refused before anything runs (issue 9, point 13)', () => {
  it('validate and run both refuse a JSON Lines and a CSV sink naming the same file, and write nothing', async () => {
    const s = await h.simulator({ images: 20 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: same.out\n  - type: csv\n    name: audit\n    path: ./same.out\n'));
    const validate = await h.cli(['validate', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(validate.code).toBe(2);
    expect(validate.stderr).toMatch(
      /QCS_CONFIG_INVALID.*two sinks write the same output:\n\s+sinks\[1\] \(audit\) writes \/.*\/same\.out, as sinks\[0\] \(jsonl\) does/s,
    );
    const run = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(run.code).toBe(2);
    expect(s.stats.requests).toBe(0);
    expect(await readdir(h.dir)).toEqual(['config.yaml']);
  });

  it("refuses two sinks on stdout, and a dead-letter file that is another sink's output", async () => {
    const s = await h.simulator({ images: 20 });
    const sinks = [
      '  - type: jsonl\n    path: "-"\n  - type: jsonl\n    path: "-"\n',
      '  - type: jsonl\n    path: rejected.ndjson\n' +
        '  - type: elasticsearch\n    node: http://127.0.0.1:9\n    index: images\n    deadLetterPath: rejected.ndjson\n',
    ];
    for (const body of sinks) {
      const r = await h.cli(['validate', '--config', await h.config(liveConfig(s.url, body))], { QUALYS_PASSWORD: PASSWORD });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/two sinks write the same output/);
    }
  });

  it('paths that only look alike ({date} in one, a different name in the other) are fine', async () => {
    const s = await h.simulator({ images: 20 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/{date}.jsonl\n  - type: csv\n    path: out/{date}.csv\n'));
    const r = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(`${h.dir}/out`)).length).toBe(2);
  });
});
