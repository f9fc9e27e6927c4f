import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveConfig, PASSWORD, useCliHarness, type Outcome } from './support.js';

const h = useCliHarness();
const env = { QUALYS_PASSWORD: PASSWORD };
const SINKS = '  - type: jsonl\n    path: out/a.jsonl\n  - type: csv\n    path: out/b.csv\n';
/** With a state every run writes files of its own, named for its time. */
const DELTA_SINKS = '  - type: jsonl\n    path: out/a-{datetime}.jsonl\n  - type: csv\n    path: out/b-{datetime}.csv\n';
const RUN = 'run:\n  state: state/qcs.json\n';
/** A run that never ends on its own is stopped here, so the test fails on its exit code instead of hanging. */
const HANG_GUARD_MS = 20_000;

/**
 * Every file under out/ and state/, with its bytes, inode and modification time, to show a refused run touched
 * nothing: a file written again has a new time, and one replaced by a rename (as every output is published) a new
 * inode, even within the second that names it.
 */
async function snapshot(dir: string): Promise<Record<string, { bytes: string; ino: number; mtimeMs: number }>> {
  const out: Record<string, { bytes: string; ino: number; mtimeMs: number }> = {};
  for (const sub of ['out', 'state']) {
    for (const name of await readdir(join(dir, sub)).catch(() => [] as string[])) {
      const path = join(dir, sub, name);
      const { ino, mtimeMs } = await stat(path);
      out[`${sub}/${name}`] = { bytes: (await readFile(path)).toString('base64'), ino, mtimeMs };
    }
  }
  return out;
}

const guarded = (args: string[]) =>
  h.cli(args, env, (child) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('exit', () => clearTimeout(timer));
  });

/** A first, successful run: the outputs (and the state) exist, and later runs must leave them as they are. */
async function exported(withState: boolean) {
  const s = await h.simulator({ images: 300 });
  const file = await h.config(withState ? liveConfig(s.url, DELTA_SINKS) + RUN : liveConfig(s.url, SINKS));
  const first = await h.cli(['run', '-c', file], env);
  expect(first.code, first.stderr).toBe(0);
  const before = await snapshot(h.dir);
  expect(Object.keys(before)).toHaveLength(withState ? 3 : 2);
  return { s, file, before, requests: s.stats.requests };
}

function expectRefusedBeforeAnyRequest(r: Outcome, requestsBefore: number, requestsNow: number, setting: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/QCS_OUTPUT_UNWRITABLE/);
  expect(r.stderr).toMatch(setting);
  expect(requestsNow).toBe(requestsBefore);
}

describe('every output, the manifest and the state are checked before the first request (issue 17)', () => {
  const manifests: Array<[string, (dir: string) => Promise<string>, RegExp]> = [
    ['/dev/null', async () => '/dev/null', /--manifest: cannot write \/dev\/null: it is a device/],
    [
      'a FIFO',
      async (dir) => {
        execFileSync('mkfifo', [join(dir, 'm.fifo')]);
        return join(dir, 'm.fifo');
      },
      /--manifest: cannot write .*m\.fifo: it is a FIFO/,
    ],
    [
      'a directory',
      async (dir) => {
        await mkdir(join(dir, 'm.d'));
        return join(dir, 'm.d');
      },
      /--manifest: cannot write .*m\.d: it is a directory/,
    ],
    [
      'a symbolic link',
      async (dir) => {
        await writeFile(join(dir, 'real.json'), '{}\n');
        await symlink(join(dir, 'real.json'), join(dir, 'm.json'));
        return join(dir, 'm.json');
      },
      /--manifest: cannot write .*m\.json: it is a symbolic link/,
    ],
  ];

  it.each(manifests)('--manifest at %s: exit 2 naming --manifest, no request, outputs and state untouched', async (_name, make, message) => {
    const { s, file, before, requests } = await exported(true);
    const manifest = await make(h.dir);
    const r = await guarded(['run', '-c', file, '--manifest', manifest]);
    expectRefusedBeforeAnyRequest(r, requests, s.stats.requests, message);
    expect(await snapshot(h.dir)).toEqual(before);
  });

  it('run.manifest with {datetime} expands as the run would write it, and a FIFO there is refused the same way', async () => {
    const { s, file, before, requests } = await exported(true);
    await mkdir(join(h.dir, 'manifests'));
    const today = new Date().toISOString().slice(0, 10);
    // A directory named for the expanded path: refused only if {date} expands to today's date, as the manifest's name would.
    await mkdir(join(h.dir, 'manifests', `${today}.json`));
    await writeFile(file, `${await readFile(file, 'utf8')}  manifest: manifests/{date}.json\n`);
    const r = await guarded(['run', '-c', file]);
    expectRefusedBeforeAnyRequest(r, requests, s.stats.requests, new RegExp(`run\\.manifest: cannot write .*manifests/${today}\\.json: it is a directory`));
    expect(await snapshot(h.dir)).toEqual(before);
  });

  it('an output that is a FIFO or a symbolic link: exit 2 naming the sink, before any request', async () => {
    const { s, file, before, requests } = await exported(false);
    execFileSync('mkfifo', [join(h.dir, 'c.jsonl')]);
    await symlink(join(h.dir, 'out', 'a.jsonl'), join(h.dir, 'd.csv'));
    const body = await readFile(file, 'utf8');
    await writeFile(file, body.replace('sinks:\n', 'sinks:\n  - type: jsonl\n    path: c.jsonl\n'));
    const fifo = await guarded(['run', '-c', file]);
    expectRefusedBeforeAnyRequest(fifo, requests, s.stats.requests, /sinks\[0\] \(jsonl\): cannot write .*c\.jsonl: it is a FIFO/);
    await writeFile(file, body.replace('sinks:\n', 'sinks:\n  - type: csv\n    path: d.csv\n'));
    const link = await guarded(['run', '-c', file]);
    expectRefusedBeforeAnyRequest(link, requests, s.stats.requests, /sinks\[0\] \(csv\): cannot write .*d\.csv: it is a symbolic link/);
    expect(await snapshot(h.dir)).toEqual(before);
  });

  it('a state that is a FIFO or a directory: exit 2 naming --state, before any request, nothing written', async () => {
    const { s, file, before, requests } = await exported(true);
    execFileSync('mkfifo', [join(h.dir, 'state.fifo')]);
    const fifo = await guarded(['run', '-c', file, '--state', join(h.dir, 'state.fifo')]);
    expectRefusedBeforeAnyRequest(fifo, requests, s.stats.requests, /--state: cannot write .*state\.fifo: it is a FIFO/);
    await mkdir(join(h.dir, 'state.d'));
    const dir = await guarded(['run', '-c', file, '--state', join(h.dir, 'state.d')]);
    expectRefusedBeforeAnyRequest(dir, requests, s.stats.requests, /--state: cannot write .*state\.d: it is a directory/);
    expect(await snapshot(h.dir)).toEqual(before);
    expect((await readdir(h.dir)).filter((n) => n.endsWith('.lock'))).toEqual([]);
  });
});

describe('--full-refresh gets past a state it cannot read (issue 17)', () => {
  it.each([
    ['a torn state', '{"stateVersion": 1, "subscr'],
    ['a state of another version', '{"stateVersion": 99}\n'],
  ])('%s: the run succeeds with a warning and writes a new state', async (_name, content) => {
    const s = await h.simulator({ images: 300 });
    const file = await h.config(liveConfig(s.url, DELTA_SINKS) + RUN);
    await mkdir(join(h.dir, 'state'));
    await writeFile(join(h.dir, 'state', 'qcs.json'), content);
    const refused = await h.cli(['run', '-c', file], env);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/QCS_STATE_INVALID.*run with --full-refresh/);

    const r = await h.cli(['run', '-c', file, '--full-refresh'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warn.*--full-refresh: the state file .*qcs\.json is not .*A new state replaces it when this run succeeds/);
    const state = JSON.parse(await readFile(join(h.dir, 'state', 'qcs.json'), 'utf8')) as { stateVersion: number; lastRun: { mode: string } };
    expect(state).toMatchObject({ stateVersion: 1, lastRun: { mode: 'full' } });
    const [jsonl] = (await readdir(join(h.dir, 'out'))).filter((n) => n.endsWith('.jsonl'));
    expect((await readFile(join(h.dir, 'out', jsonl as string), 'utf8')).trim().split('\n')).toHaveLength(300);
  });
});
