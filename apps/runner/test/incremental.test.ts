import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { liveConfig, nextSecond, PASSWORD, untilHeld, useCliHarness, withState } from './support.js';

const h = useCliHarness();
const env = { QUALYS_PASSWORD: PASSWORD };

const DELTA_SINKS = '  - type: jsonl\n    path: out/images-{datetime}.jsonl\n';

interface Line {
  sha: string;
  updated: string | null;
}

/** Every JSON Lines file a run wrote, oldest first (the names carry the run's time), each as its lines. */
async function deltas(dir: string): Promise<Line[][]> {
  const names = (await readdir(join(dir, 'out'))).filter((n) => n.startsWith('images-') && n.endsWith('.jsonl')).sort();
  return Promise.all(
    names.map(async (n) =>
      (await readFile(join(dir, 'out', n), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line),
    ),
  );
}

/** The inventory a reader rebuilds from the delta files: the latest version of each image. */
function replay(files: Line[][]): Map<string, string | null> {
  const latest = new Map<string, string | null>();
  for (const file of files) for (const line of file) latest.set(line.sha, line.updated);
  return latest;
}

const isoOf = (raw: string | null) => (raw === null ? null : new Date(Number(raw)).toISOString());

async function latestManifest(
  dir: string,
): Promise<Record<string, unknown> & { sinks: Array<{ files: Array<{ path: string; bytes: number; sha256: string }> }> }> {
  const names = (await readdir(join(dir, 'out'))).filter((n) => n.startsWith('manifest-')).sort();
  return JSON.parse(await readFile(join(dir, 'out', names.at(-1) as string), 'utf8'));
}

describe('incremental runs with --state / run.state (issue 12)', () => {
  it('a second run exports only the images changed since the first, and the files together hold what a full run would', async () => {
    const s = await h.simulator({ images: 600 });
    const file = await h.config(liveConfig(s.url, DELTA_SINKS) + withState());
    const first = await h.cli(['run', '-c', file], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/full run \(no state yet/);
    const state1 = JSON.parse(await readFile(join(h.dir, 'state/qcs.json'), 'utf8'));
    expect(state1.highWaterMark).toBe(isoOf(s.images().reduce((m, i) => (Number(i.updated) > Number(m) ? i.updated : m), '0') as string));

    const changed = new Set([...s.updateImages(30), ...s.addImages(7)]);
    await nextSecond();
    const second = await h.cli(['run', '-c', file], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/incremental run: images updated since/);
    const files = await deltas(h.dir);
    expect(files).toHaveLength(2);
    expect(files[0]).toHaveLength(600);
    // Exactly the changed images, each once: the overlap re-read by the lookback was dropped.
    expect(files[1]?.map((l) => l.sha).sort()).toEqual([...changed].sort());
    // Replaying the deltas gives the subscription as it is now, as one full export would.
    const now = new Map(s.images().map((i) => [i.sha, isoOf(i.updated)]));
    expect(replay(files)).toEqual(now);

    // Nothing changed since: a third run writes an empty delta, having dropped every re-read image.
    await nextSecond();
    const third = await h.cli(['run', '-c', file], env);
    expect(third.code, third.stderr).toBe(0);
    const files3 = await deltas(h.dir);
    expect(files3[2]).toEqual([]);
    const manifest = await latestManifest(h.dir);
    expect(manifest['state']).toMatchObject({ mode: 'incremental', updated: true });
    expect((manifest['state'] as { overlapSkipped: number }).overlapSkipped).toBeGreaterThan(0);
  });

  it('a server that reads the updated>= bound differently (as epoch seconds) fails the incremental run instead of an empty delta', async () => {
    const s = await h.simulator({ images: 200, dialect: { epochSeconds: true } });
    const file = await h.config(liveConfig(s.url, DELTA_SINKS) + withState());
    const first = await h.cli(['run', '-c', file], env);
    expect(first.code, first.stderr).toBe(0);
    const before = await readFile(join(h.dir, 'state/qcs.json'));
    s.updateImages(10);
    await nextSecond();
    const second = await h.cli(['run', '-c', file], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/QCS_SOURCE_INCONSISTENT.*returned none of the \d+ images updated at the last high-water mark/s);
    expect(await readFile(join(h.dir, 'state/qcs.json'))).toEqual(before);
    expect(await deltas(h.dir)).toHaveLength(1);
  });

  it('--no-state-update leaves the state as it was; --full-refresh exports everything and writes a new state', async () => {
    const s = await h.simulator({ images: 200 });
    const file = await h.config(liveConfig(s.url, DELTA_SINKS) + withState());
    expect((await h.cli(['run', '-c', file], env)).code).toBe(0);
    const before = await readFile(join(h.dir, 'state/qcs.json'));
    s.updateImages(10);
    await nextSecond();
    const kept = await h.cli(['run', '-c', file, '--no-state-update'], env);
    expect(kept.code, kept.stderr).toBe(0);
    expect(await readFile(join(h.dir, 'state/qcs.json'))).toEqual(before);
    await nextSecond();
    const full = await h.cli(['run', '-c', file, '--full-refresh'], env);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stderr).toMatch(/full run \(--full-refresh\)/);
    expect((await deltas(h.dir)).at(-1)).toHaveLength(200);
    expect(await readFile(join(h.dir, 'state/qcs.json'))).not.toEqual(before);
  });

  it('a failed run leaves the state as it was, and the next run repeats its work: nothing is skipped', async () => {
    const s = await h.simulator({ images: 300 });
    const file = await h.config(liveConfig(s.url, DELTA_SINKS, '  retries: 0\n') + withState());
    expect((await h.cli(['run', '-c', file], env)).code).toBe(0);
    const before = await readFile(join(h.dir, 'state/qcs.json'));
    const changed = new Set(s.updateImages(12));
    s.inject({ kind: 'status', status: 500, count: 1, path: '/csapi/v1.3/images' });
    await nextSecond();
    const failed = await h.cli(['run', '-c', file], env);
    expect(failed.code).toBe(1);
    expect(await readFile(join(h.dir, 'state/qcs.json'))).toEqual(before);
    const manifest = await latestManifest(h.dir);
    expect(manifest).toMatchObject({ exitCode: 1, outcome: 'failed', state: { updated: false } });
    expect(manifest.sinks.flatMap((x) => x.files)).toEqual([]);
    await nextSecond();
    const again = await h.cli(['run', '-c', file], env);
    expect(again.code, again.stderr).toBe(0);
    expect(new Set((await deltas(h.dir)).at(-1)?.map((l) => l.sha))).toEqual(changed);
  });

  it('a run killed mid-way (SIGKILL) leaves the state and a lock behind; the next run takes the lock over and loses nothing', async () => {
    const s = await h.simulator({ images: 800 });
    const file = await h.config(liveConfig(s.url, DELTA_SINKS) + withState());
    expect((await h.cli(['run', '-c', file], env)).code).toBe(0);
    const before = await readFile(join(h.dir, 'state/qcs.json'));
    const changed = new Set(s.updateImages(40));
    await nextSecond();
    // Killed once the run is under way: logged in, reading pages, and waiting on its third request.
    s.hold(2);
    const killed = await h.cli(['run', '-c', file], env, (child) => {
      void untilHeld(s, child).then((held) => held && child.kill('SIGKILL'));
    });
    s.release();
    expect(killed.code).toBe(null);
    expect(await readFile(join(h.dir, 'state/qcs.json'))).toEqual(before);
    expect((await readdir(join(h.dir, 'state'))).sort()).toEqual(['qcs.json', 'qcs.json.lock']);
    const recovered = await h.cli(['run', '-c', file], env);
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(recovered.stderr).toMatch(/took over the lock .*no longer runs/);
    expect(new Set((await deltas(h.dir)).at(-1)?.map((l) => l.sha))).toEqual(changed);
    expect(await readdir(join(h.dir, 'state'))).toEqual(['qcs.json']);
  });

  it('two runs on one state at once: the second refuses to start, naming the first, and the state stays whole', async () => {
    // The first run's second request is held until the second run has been refused: it holds the lock all along.
    const s = await h.simulator({ images: 600 });
    s.hold(1);
    const file = await h.config(liveConfig(s.url, DELTA_SINKS) + withState());
    const lock = join(h.dir, 'state/qcs.json.lock');
    const first = h.cliProcess(['run', '-c', file], env);
    while (!(await stat(lock).catch(() => undefined)) || s.held() === 0) await new Promise((r) => setTimeout(r, 10));
    const second = await h.cli(['run', '-c', file], env);
    s.release();
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/QCS_STATE_LOCKED.*another run is using the state .*process \d+ on /s);
    const a = await first;
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(await readFile(join(h.dir, 'state/qcs.json'), 'utf8')).stateVersion).toBe(1);
  });

  it('a lock of a live process is respected, one of a dead process on this host is taken over', async () => {
    const s = await h.simulator({ images: 50 });
    const file = await h.config(liveConfig(s.url, DELTA_SINKS) + withState());
    await h.cli(['run', '-c', file], env);
    const lock = join(h.dir, 'state/qcs.json.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2026-11-29T00:00:00.000Z' }));
    const refused = await h.cli(['run', '-c', file], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`process ${process.pid} on ${hostname()}`);
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    await writeFile(lock, JSON.stringify({ pid: dead.pid, host: hostname(), startedAt: '2026-11-29T00:00:00.000Z' }));
    const taken = await h.cli(['run', '-c', file], env);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toContain(`took over the lock ${lock} of process ${dead.pid}`);
  });

  it('a state made for another filter or subscription, or without one of the sinks, is refused unless --full-refresh', async () => {
    const s = await h.simulator({ images: 100 });
    const file = await h.config(liveConfig(s.url, DELTA_SINKS) + withState());
    expect((await h.cli(['run', '-c', file], env)).code).toBe(0);
    const other = await h.config(liveConfig(s.url, DELTA_SINKS, '  filter: "repo.tag:latest"\n') + withState());
    const refused = await h.cli(['run', '-c', other], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/QCS_STATE_INVALID.*another source\.filter.*--full-refresh/s);
    const moreSinks = await h.config(liveConfig(s.url, `${DELTA_SINKS}  - type: csv\n    path: out/x-{datetime}.csv\n`) + withState());
    const newSink = await h.cli(['run', '-c', moreSinks], env);
    expect(newSink.code).toBe(2);
    expect(newSink.stderr).toMatch(/without "csv".*would get only the changes/s);
    await nextSecond();
    expect((await h.cli(['run', '-c', moreSinks, '--full-refresh'], env)).code).toBe(0);
    await writeFile(join(h.dir, 'state/qcs.json'), '{"stateVersion": 1, "torn');
    const torn = await h.cli(['run', '-c', moreSinks], env);
    expect(torn.code).toBe(2);
    expect(torn.stderr).toMatch(/not valid JSON/);
  });

  it('sinks that cannot hold a delta are refused with a state: Excel, and a file path without {datetime}', async () => {
    const s = await h.simulator({ images: 10 });
    const excel = await h.config(liveConfig(s.url, '  - type: excel\n    path: out/x.xlsx\n') + withState());
    const r1 = await h.cli(['run', '-c', excel], env);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/config\.yaml:\d+:\d+ sinks\[0\]\.type: with run\.state, a workbook is a snapshot/);
    const checked = await h.cli(['validate', '-c', excel], env);
    expect(checked.code).toBe(2);
    expect(checked.stderr).toMatch(/a workbook is a snapshot/);
    const fixed = await h.config(liveConfig(s.url, '  - type: csv\n    path: out/images-{date}.csv\n') + withState());
    const r2 = await h.cli(['run', '-c', fixed], env);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('put {datetime} in path (e.g. out/images-{datetime}.csv)');
    expect(await stat(join(h.dir, 'state')).catch(() => undefined)).toBeUndefined();
  });
});

describe('the audit manifest (issue 12)', () => {
  it('names every file with its size and SHA-256, the requests per endpoint and the counts, and holds no secret', async () => {
    const s = await h.simulator({ images: 300 });
    const file = await h.config(
      liveConfig(
        s.url,
        '  - type: jsonl\n    path: out/images.jsonl\n    stampRun: true\n  - type: csv\n    path: out/images.csv\n    stampRun: true\n' +
          '  - type: excel\n    path: out/images.xlsx\n    stampRun: true\n',
      ),
    );
    const r = await h.cli(['run', '-c', file, '--manifest', 'audit/manifest.json'], env);
    expect(r.code, r.stderr).toBe(0);
    const text = await readFile(join(h.dir, 'audit/manifest.json'), 'utf8');
    expect(text).not.toContain(PASSWORD);
    const m = JSON.parse(text);
    expect(m).toMatchObject({ manifestVersion: 1, exitCode: 0, outcome: 'succeeded', tool: { name: 'qcs-export' } });
    expect(m.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.config.effective.source.auth.password).toBe('[redacted]');
    expect(m.config.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.requests.byEndpoint['POST /auth']).toBe(1);
    expect(m.requests.byEndpoint['GET /csapi/v1.3/images']).toBeGreaterThan(0);
    expect(m.source.imagesRead).toBe(300);
    const files = m.sinks.flatMap((x: { files: unknown[] }) => x.files) as Array<{ path: string; bytes: number; sha256: string }>;
    expect(files.map((f) => f.path.split('/').pop()).sort()).toEqual(['images.csv', 'images.jsonl', 'images.xlsx']);
    for (const f of files) {
      const bytes = await readFile(f.path);
      expect(f.bytes).toBe(bytes.length);
      expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
    expect(m.sinks.map((x: { written: number }) => x.written)).toEqual([300, 300, 300]);
    // stampRun: every row names the run, and so the manifest, it came from.
    const lines = (await readFile(join(h.dir, 'out/images.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(new Set(lines.map((l) => `${l.runId} ${l.exportedAt}`))).toEqual(new Set([`${m.runId} ${m.startedAt}`]));
    const rows = parse(await readFile(join(h.dir, 'out/images.csv')), { bom: true }) as string[][];
    expect(rows[0]?.slice(-2)).toEqual(['Run ID', 'Exported at']);
    expect(new Set(rows.slice(1).map((r) => r.at(-2)))).toEqual(new Set([m.runId]));
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(join(h.dir, 'out/images.xlsx'));
    const sheet = book.getWorksheet('Images');
    const header = sheet?.getRow(1).values as unknown[];
    const runCol = header.indexOf('Run ID');
    expect(runCol).toBeGreaterThan(0);
    for (let r = 2; r <= 301; r++) expect(sheet?.getRow(r).getCell(runCol).value).toBe(m.runId);
  });

  it('the same settings with another password give the same config hash', async () => {
    const s = await h.simulator({ images: 5 });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n'));
    await h.cli(['run', '-c', file, '--manifest', 'm1.json'], env);
    await h.cli(['run', '-c', file, '--manifest', 'm2.json'], { QUALYS_PASSWORD: 'another one' });
    const m1 = JSON.parse(await readFile(join(h.dir, 'm1.json'), 'utf8'));
    const m2 = JSON.parse(await readFile(join(h.dir, 'm2.json'), 'utf8'));
    expect(m2.exitCode).toBe(4);
    expect(m2.config.sha256).toBe(m1.config.sha256);
  });
});

describe('several configs in one command (issue 12)', () => {
  it('runs each config in turn, each with its own outputs, and exits with the worst code', async () => {
    const s = await h.simulator({ images: 20 });
    const good = join(h.dir, 'a.yaml');
    const bad = join(h.dir, 'b.yaml');
    await writeFile(good, `${liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n')}run:\n  manifest: out/a-manifest.json\n`);
    // A password Qualys refuses: this run fails (exit 4), the next one still runs.
    const refused = liveConfig(s.url, '  - type: jsonl\n    path: out/b.jsonl\n').replace('${QUALYS_PASSWORD}', 'not-the-password');
    await writeFile(bad, `${refused}run:\n  manifest: out/b-manifest.json\n`);
    const r = await h.cli(['run', '-c', bad, '-c', good], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/b\.yaml: /);
    expect((await readFile(join(h.dir, 'out/a.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(20);
    expect(JSON.parse(await readFile(join(h.dir, 'out/b-manifest.json'), 'utf8')).exitCode).toBe(4);
    expect(JSON.parse(await readFile(join(h.dir, 'out/a-manifest.json'), 'utf8')).exitCode).toBe(0);
    const flag = await h.cli(['run', '-c', good, '-c', bad, '--state', 's.json'], env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--state applies to one config/);
  });
});
