import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QualysSimulator } from '@qcs-export/qualys-simulator';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();
const env = { QUALYS_PASSWORD: PASSWORD };
/**
 * Longer than any test waits: a process still running this long after the signal ignored it. It is then killed,
 * so the test fails on its exit code (null) instead of hanging.
 */
const HANG_GUARD_MS = 25_000;

/**
 * Runs the CLI and sends `signal` once the simulator has seen `requests` requests (the process is then blocked on
 * one), after `before` has looked at what the run has made so far.
 */
function runAndSignal(s: QualysSimulator, args: string[], signal: NodeJS.Signals, requests: number, before?: () => Promise<void>) {
  return h.cli(args, env, (child) => {
    const poll = setInterval(() => {
      if (s.stats.requests < requests) return;
      clearInterval(poll);
      void Promise.resolve(before?.()).then(() => child.kill(signal));
    }, 5);
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('exit', () => {
      clearInterval(poll);
      clearTimeout(guard);
    });
  });
}

describe('SIGTERM and SIGINT always end a run, whatever it is waiting for (issue 17)', () => {
  it('SIGTERM while the login is unanswered: exit 143, nothing written', async () => {
    // The login request is counted when it arrives and answered a minute later.
    const s = await h.simulator({ images: 100, faults: [{ kind: 'latency', ms: 60_000, path: '/auth' }] });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n'));
    const r = await runAndSignal(s, ['run', '-c', file, '--manifest', 'manifest.json'], 'SIGTERM', 1);
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(/SIGTERM: stopping/);
    expect(await readdir(join(h.dir, 'out')).catch(() => [])).toEqual([]);
  });

  it('SIGINT while the login is unanswered: exit 130', async () => {
    const s = await h.simulator({ images: 100, faults: [{ kind: 'latency', ms: 60_000, path: '/auth' }] });
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n'));
    const r = await runAndSignal(s, ['run', '-c', file], 'SIGINT', 1);
    expect(r.code, r.stderr).toBe(130);
  });

  it('SIGTERM while a page is unanswered: exit 143, no partial file, the state kept, and the manifest says 143', async () => {
    // The 7th request is held: the run is mid-crawl, its partial file open, when the signal comes.
    const s = await h.simulator();
    s.hold(6);
    const file = await h.config(
      `${liveConfig(s.url, '  - type: jsonl\n    path: out/a-{datetime}.jsonl\n', '  concurrency: 1\n')}` +
        'run:\n  state: state/qcs.json\n  manifest: manifest.json\n',
    );
    let partial: string[] = [];
    const r = await runAndSignal(s, ['run', '-c', file], 'SIGTERM', 7, async () => {
      partial = await readdir(join(h.dir, 'out'));
    });
    expect(partial).toHaveLength(1);
    expect(r.code, r.stderr).toBe(143);
    expect(await readdir(join(h.dir, 'out')).catch(() => [])).toEqual([]);
    expect(await readdir(join(h.dir, 'state')).catch(() => [])).toEqual([]);
    const manifest = JSON.parse(await readFile(join(h.dir, 'manifest.json'), 'utf8')) as { exitCode: number; error: { code: string } };
    expect(manifest).toMatchObject({ exitCode: 143, error: { code: 'QCS_ABORTED' } });
  });
});
