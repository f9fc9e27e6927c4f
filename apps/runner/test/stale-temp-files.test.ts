import { spawnSync } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveConfig, PASSWORD, untilHeld, useCliHarness } from './support.js';

const h = useCliHarness();

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

describe('temporary files left by a crashed run (issue 9, point 14)', () => {
  it('validate reports them without removing any; run removes those of dead processes and reports one a live process writes', async () => {
    const s = await h.simulator({ images: 30 });
    await mkdir(join(h.dir, 'out'));
    const crashed = `.images.jsonl.${deadPid()}-0123456789ab.partial`;
    const oldStyle = '.images.jsonl.ba9876543210.partial';
    const live = `.images.jsonl.${process.pid}-aaaaaaaaaaaa.partial`;
    for (const name of [crashed, oldStyle, live]) await writeFile(join(h.dir, 'out', name), 'half an export\n');
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n'));

    const validate = await h.cli(['validate', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stderr).toContain(`found a temporary file an interrupted run left behind: ${join(h.dir, 'out', crashed)}`);
    expect(validate.stderr).toContain(`process ${process.pid} is writing ${join(h.dir, 'out', live)} now`);
    expect((await readdir(join(h.dir, 'out'))).length).toBe(3);

    const run = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`removed a temporary file an interrupted run left behind: ${join(h.dir, 'out', crashed)}`);
    expect(run.stderr).toContain(`removed a temporary file an interrupted run left behind: ${join(h.dir, 'out', oldStyle)}`);
    expect((await readdir(join(h.dir, 'out'))).sort()).toEqual([live, 'images.jsonl'].sort());
  });

  it('a double Ctrl-C exits at once (130) and still removes the temporary files', async () => {
    // The 9th request is held: the sinks have opened their temporary files when the run is interrupted twice in a row.
    const s = await h.simulator();
    s.hold(8);
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n  - type: csv\n    path: out/b.csv\n', '  concurrency: 1\n'));
    let partial: string[] = [];
    const r = await h.cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD }, (child) => {
      void untilHeld(s, child).then(async (held) => {
        if (!held) return;
        partial = await readdir(join(h.dir, 'out'));
        child.kill('SIGINT');
        child.kill('SIGINT');
      });
    });
    expect(partial).toHaveLength(2);
    expect(r.code).toBe(130);
    expect(await readdir(join(h.dir, 'out')).catch(() => [])).toEqual([]);
  });
});
