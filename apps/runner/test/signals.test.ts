import { spawn, spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { QualysSimulator } from '@qcs-export/qualys-simulator';
import { stoppingNotice } from '../src/interrupt.js';
import { liveConfig, PASSWORD, untilHeld, useCliHarness } from './support.js';

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

/** Runs the CLI with stderr piped, and sends `signal` once the run is blocked on the simulator's held request. */
function signalWhenHeld(s: QualysSimulator, args: string[], signal: NodeJS.Signals) {
  return h.cli(args, env, (child) => {
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('exit', () => clearTimeout(guard));
    void untilHeld(s, child).then((held) => held && child.kill(signal));
  });
}

/** The lines of stderr, the empty ones included, without the newline that ends the last. */
const linesOf = (stderr: string) => stderr.replace(/\n$/, '').split('\n');

describe('the notice of the first signal, off a terminal and in JSON logs (issue 22)', () => {
  it('SIGTERM with --log-format json: exit 143, and every line on stderr is one JSON object, the notice among them', async () => {
    const s = await h.simulator();
    s.hold(6);
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n', '  concurrency: 1\n'));
    const r = await signalWhenHeld(s, ['run', '-c', file, '--log-format', 'json'], 'SIGTERM');
    expect(r.code, r.stderr).toBe(143);
    const lines = linesOf(r.stderr);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((o) => String(o['message']).startsWith('SIGTERM: stopping'))).toMatchObject({
      'log.level': 'warn',
      message: 'SIGTERM: stopping; removing partial output (a second SIGTERM quits at once)',
      '@timestamp': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(r.stderr).not.toMatch(/Ctrl-C/);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('%s in text logs off a terminal: no blank line, no Ctrl-C hint', async (signal) => {
    const s = await h.simulator();
    s.hold(6);
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n', '  concurrency: 1\n'));
    const r = await signalWhenHeld(s, ['run', '-c', file], signal);
    expect(r.code, r.stderr).toBe(signal === 'SIGTERM' ? 143 : 130);
    expect(r.stderr).toMatch(new RegExp(`^\\S+ warn: ${signal}: stopping; removing partial output \\(a second ${signal} quits at once\\)$`, 'm'));
    expect(linesOf(r.stderr).filter((line) => line.trim() === '')).toEqual([]);
    expect(r.stderr).not.toMatch(/Ctrl-C/);
  });

  it('the notice offers Ctrl-C only for SIGINT at a terminal', () => {
    expect(stoppingNotice('SIGINT', true)).toBe('SIGINT: stopping; removing partial output (press Ctrl-C again to quit at once)');
    expect(stoppingNotice('SIGINT', false)).toBe('SIGINT: stopping; removing partial output (a second SIGINT quits at once)');
    expect(stoppingNotice('SIGTERM', true)).toBe('SIGTERM: stopping; removing partial output (a second SIGTERM quits at once)');
  });

  // util-linux script(1) runs the CLI on a pseudo-terminal; a Ctrl-C typed into it is the terminal's own SIGINT.
  const hasScript = spawnSync('script', ['-qec', 'true', '/dev/null'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasScript)('Ctrl-C at a terminal: exit 130, and the notice says to press it again to quit at once', async () => {
    const s = await h.simulator();
    s.hold(6);
    const file = await h.config(liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n', '  concurrency: 1\n'));
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;
    const command = [process.execPath, cli, 'run', '-c', file].map(quote).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: h.dir, env: { PATH: process.env['PATH'], ...env }, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (await untilHeld(s, child)) child.stdin.write('\x03');
    const code = await exited;
    clearTimeout(guard);
    expect(code, output).toBe(130);
    expect(output).toMatch(/warn: SIGINT: stopping; removing partial output \(press Ctrl-C again to quit at once\)/);
  });
});
