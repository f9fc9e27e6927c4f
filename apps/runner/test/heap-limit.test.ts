import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cgroupMemoryLimit,
  decideHeap,
  heapSizeFor,
  type HeapInputs,
  MEMORY_LIMIT_ENV,
  parseLimit,
  type ReadFile,
  RELAUNCHED_ENV,
  userHeapFlags,
} from '../src/heap-limit.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const files =
  (map: Record<string, string>): ReadFile =>
  (path) =>
    map[path];
const V2 = '/sys/fs/cgroup/memory.max';
const V1 = '/sys/fs/cgroup/memory/memory.limit_in_bytes';
const V1_UNLIMITED = '9223372036854771712\n';

describe('cgroup memory limit', () => {
  it('cgroup v2: "max" is no limit, a number is the limit in bytes', () => {
    expect(cgroupMemoryLimit(files({ [V2]: 'max\n' }), 16 * GiB)).toBeUndefined();
    expect(cgroupMemoryLimit(files({ [V2]: '268435456\n' }), 16 * GiB)).toEqual({ bytes: 256 * MiB, source: `cgroup v2 ${V2}` });
  });

  it("cgroup v1: the huge page-aligned value is no limit, a number is the limit; v1's files are read when v2's are absent", () => {
    expect(cgroupMemoryLimit(files({ [V1]: V1_UNLIMITED }), 16 * GiB)).toBeUndefined();
    expect(cgroupMemoryLimit(files({ [V1]: '9223372036854775807' }), 16 * GiB)).toBeUndefined();
    expect(cgroupMemoryLimit(files({ [V1]: '536870912\n' }), 16 * GiB)).toEqual({ bytes: 512 * MiB, source: `cgroup v1 ${V1}` });
  });

  it('a limit at or above the machine memory limits nothing; no file, garbage or 0 is no limit', () => {
    expect(cgroupMemoryLimit(files({ [V1]: String(16 * GiB) }), 16 * GiB)).toBeUndefined();
    expect(cgroupMemoryLimit(files({}), 16 * GiB)).toBeUndefined();
    expect(parseLimit('12k', 16 * GiB)).toBeUndefined();
    expect(parseLimit('0', 16 * GiB)).toBeUndefined();
    expect(parseLimit('', 16 * GiB)).toBeUndefined();
    expect(parseLimit(undefined, 16 * GiB)).toBeUndefined();
  });

  it('follows /proc/self/cgroup to a nested cgroup (no cgroup namespace), and the smallest limit wins', () => {
    const v2 = files({
      '/proc/self/cgroup': '0::/kubepods.slice/pod1/ctr\n',
      [V2]: 'max\n',
      '/sys/fs/cgroup/kubepods.slice/pod1/ctr/memory.max': '268435456\n',
    });
    expect(cgroupMemoryLimit(v2, 16 * GiB)?.bytes).toBe(256 * MiB);
    const v1 = files({
      '/proc/self/cgroup': '12:pids:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n',
      [V1]: String(GiB),
      '/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes': '402653184',
    });
    expect(cgroupMemoryLimit(v1, 16 * GiB)).toEqual({ bytes: 384 * MiB, source: 'cgroup v1 /sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes' });
  });
});

describe('heap size for a limit', () => {
  it('half the limit as old space, a semi-space of 1/128 of it (a power of two from 1 to 16 MB)', () => {
    expect(heapSizeFor(256 * MiB)).toEqual({
      oldSpaceMB: 128,
      semiSpaceMB: 1,
      heapLimitMB: 131,
      flags: ['--max-old-space-size=128', '--max-semi-space-size=1'],
    });
    expect(heapSizeFor(512 * MiB)).toMatchObject({ oldSpaceMB: 256, semiSpaceMB: 2 });
    expect(heapSizeFor(GiB)).toMatchObject({ oldSpaceMB: 512, semiSpaceMB: 4 });
    expect(heapSizeFor(300 * MiB)).toMatchObject({ oldSpaceMB: 150, semiSpaceMB: 1 });
    expect(heapSizeFor(64 * GiB)).toMatchObject({ oldSpaceMB: 32768, semiSpaceMB: 16 });
  });

  it('never below the floor the export needs', () => {
    expect(heapSizeFor(100 * MiB)).toMatchObject({ oldSpaceMB: 64, semiSpaceMB: 1 });
  });
});

describe('whether to relaunch', () => {
  const base = (over: Partial<HeapInputs> = {}): HeapInputs => ({
    env: {},
    execArgv: [],
    readFile: files({ [V2]: '268435456\n' }),
    totalMemory: 16 * GiB,
    heapSizeLimit: 304 * MiB, // what Node gives a 256 MiB container: V8's floor of 256 MB old space + 48 MB young
    ...over,
  });

  it('under a 256 MiB cgroup limit: relaunch with 128 MB old space and 1 MB semi-space', () => {
    const d = decideHeap(base());
    expect(d.relaunch).toBe(true);
    if (d.relaunch) {
      expect(d.heap.flags).toEqual(['--max-old-space-size=128', '--max-semi-space-size=1']);
      expect(d.limit.source).toBe(`cgroup v2 ${V2}`);
    }
  });

  it("the user's own heap flag wins, in NODE_OPTIONS or on node's command line, with dashes or underscores", () => {
    for (const over of [
      { env: { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=200' } },
      { env: { NODE_OPTIONS: '--max_old_space_size=200' } },
      { execArgv: ['--max-old-space-size', '200'] },
      { execArgv: ['--max-semi-space-size=8'] },
      { env: { NODE_OPTIONS: '--max-heap-size=300' } },
    ]) {
      const d = decideHeap(base(over));
      expect(d.relaunch).toBe(false);
      expect(d.reason).toMatch(/the heap is sized by --max/);
    }
    expect(userHeapFlags({ NODE_OPTIONS: '--max-old-space-size-x --stack-size=900' }, ['--inspect'])).toEqual([]);
  });

  it('a debugger flag keeps the process (the debugger is attached to it)', () => {
    expect(decideHeap(base({ execArgv: ['--inspect-brk=0'] }))).toMatchObject({ relaunch: false, reason: expect.stringMatching(/debugger/) });
    expect(decideHeap(base({ env: { NODE_OPTIONS: '--inspect' } }))).toMatchObject({ relaunch: false });
  });

  it('no cgroup limit: no relaunch', () => {
    expect(decideHeap(base({ readFile: files({ [V2]: 'max\n', [V1]: V1_UNLIMITED }) }))).toMatchObject({ relaunch: false, reason: 'no memory limit' });
  });

  it(`${MEMORY_LIMIT_ENV} replaces the cgroup's limit, or turns the sizing off with 0 or off`, () => {
    const none = files({});
    const d = decideHeap(base({ env: { [MEMORY_LIMIT_ENV]: '256' }, readFile: none, heapSizeLimit: 4144 * MiB }));
    expect(d).toMatchObject({ relaunch: true, limit: { bytes: 256 * MiB, source: MEMORY_LIMIT_ENV } });
    expect(decideHeap(base({ env: { [MEMORY_LIMIT_ENV]: '1024' } }))).toMatchObject({ relaunch: false });
    expect(decideHeap(base({ env: { [MEMORY_LIMIT_ENV]: 'off' } }))).toMatchObject({ relaunch: false });
    expect(decideHeap(base({ env: { [MEMORY_LIMIT_ENV]: '0' } }))).toMatchObject({ relaunch: false });
    const bad = decideHeap(base({ env: { [MEMORY_LIMIT_ENV]: '256Mi' } }));
    expect(bad).toMatchObject({ relaunch: true, limit: { source: `cgroup v2 ${V2}` }, warning: expect.stringMatching(/not a number/) });
    expect(decideHeap(base({ env: { [MEMORY_LIMIT_ENV]: '256Mi' }, readFile: none }))).toMatchObject({
      relaunch: false,
      warning: expect.stringMatching(/not a number of MiB/),
    });
  });

  it("never raises the heap: a large limit where V8's own choice is smaller leaves it alone", () => {
    const d = decideHeap(base({ readFile: files({ [V2]: String(2 * GiB) }), heapSizeLimit: 560 * MiB }));
    expect(d).toMatchObject({ relaunch: false, reason: expect.stringMatching(/would not lower the heap/) });
  });

  it('the relaunched process never relaunches again', () => {
    expect(decideHeap(base({ env: { [RELAUNCHED_ENV]: '1' } }))).toMatchObject({ relaunch: false });
  });
});

// The relaunch itself, with a tiny script in place of the CLI: it imports the built module like cli.js does.
describe('relaunch (a tiny script using the built module)', () => {
  const built = pathToFileURL(fileURLToPath(new URL('../dist/heap-limit.js', import.meta.url))).href;
  let dir = '';
  let script = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-heap-'));
    script = join(dir, 'tiny.mjs');
    await writeFile(
      script,
      `import { getHeapStatistics } from 'node:v8';
import { relaunchWithHeapLimit, relayLauncherSignals } from ${JSON.stringify(built)};
if (!(await relaunchWithHeapLimit())) {
  relayLauncherSignals();
  const [mode, arg] = process.argv.slice(2);
  const heapMB = getHeapStatistics().heap_size_limit / 1048576;
  const info = { pid: process.pid, execArgv: process.execArgv, heapMB, relaunched: !!process.env.${RELAUNCHED_ENV} };
  process.stdout.write(JSON.stringify(info) + '\\n');
  if (mode === 'exit') process.exitCode = Number(arg);
  if (mode === 'kill') process.kill(process.pid, arg);
  if (mode === 'count') {
    const counts = {};
    for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => {
      counts[s] = (counts[s] ?? 0) + 1;
      setTimeout(() => { process.stdout.write(JSON.stringify(counts) + '\\n'); process.exit(0); }, 400);
    });
  }
  if (mode === 'count' || mode === 'idle') setInterval(() => undefined, 1000);
}
`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  interface Run {
    code: number | null;
    signal: NodeJS.Signals | null;
    lines: string[];
    stderr: string;
  }
  const run = (args: string[], env: NodeJS.ProcessEnv, during?: (pid: number) => void, detached = false): Promise<Run> =>
    new Promise((resolve) => {
      const clean: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
      delete clean[RELAUNCHED_ENV];
      delete clean[MEMORY_LIMIT_ENV];
      const child = spawn(process.execPath, [script, ...args], { cwd: dir, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached });
      let out = '';
      let stderr = '';
      let ready = false;
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        if (!ready && out.includes('\n')) {
          ready = true;
          // Give the relaunched child a moment to install its handlers after its first line.
          if (during) setTimeout(() => during(child.pid as number), 150);
        }
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code, signal) => resolve({ code, signal, lines: out.trim().split('\n'), stderr }));
    });
  const limited = { [MEMORY_LIMIT_ENV]: '256' };
  const info = (r: Run) => JSON.parse(r.lines[0] ?? '{}') as { pid: number; execArgv: string[]; heapMB: number; relaunched: boolean };

  it("the child gets the heap flags (V8's heap_size_limit shows them), the arguments, and its exit code passes through", async () => {
    const r = await run(['exit', '3'], limited);
    expect(r.code).toBe(3);
    const i = info(r);
    expect(i.relaunched).toBe(true);
    expect(i.execArgv).toEqual(['--max-old-space-size=128', '--max-semi-space-size=1']);
    expect(i.heapMB).toBeGreaterThanOrEqual(128);
    expect(i.heapMB).toBeLessThan(140);
  });

  it('QCS_DEBUG names the limit and the flags', async () => {
    const r = await run(['exit', '0'], { ...limited, QCS_DEBUG: '1' });
    expect(r.stderr).toContain(`heap: starting again with ${MEMORY_LIMIT_ENV}: 256 MiB → --max-old-space-size=128 --max-semi-space-size=1`);
  });

  it('a child ended by a signal ends the launcher by the same signal; one that dumps core, with 128 + its number', async () => {
    const r = await run(['kill', 'SIGTERM'], limited);
    expect(r.signal).toBe('SIGTERM');
    const aborted = await run(['kill', 'SIGABRT'], limited);
    expect(aborted).toMatchObject({ code: 134, signal: null });
  });

  it('SIGTERM to the launcher reaches the child once', async () => {
    const r = await run(['count'], limited, (pid) => process.kill(pid, 'SIGTERM'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.lines[1] ?? '{}')).toEqual({ SIGTERM: 1 });
  });

  it('SIGINT to the whole process group (a Ctrl-C) reaches the child once, not once more from the launcher', async () => {
    const r = await run(['count'], limited, (pid) => process.kill(-pid, 'SIGINT'), true);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.lines[1] ?? '{}')).toEqual({ SIGINT: 1 });
  });

  it('a child without a handler for the signal ends by it, as it would without the launcher', async () => {
    const r = await run(['idle'], limited, (pid) => process.kill(pid, 'SIGINT'));
    expect(r.signal).toBe('SIGINT');
  });

  it("with the user's own --max-old-space-size, or the sizing off, nothing is relaunched", async () => {
    const own = info(await run(['exit', '0'], { ...limited, NODE_OPTIONS: '--max-old-space-size=300' }));
    expect(own.relaunched).toBe(false);
    expect(own.heapMB).toBeGreaterThanOrEqual(300);
    const off = info(await run(['exit', '0'], { [MEMORY_LIMIT_ENV]: 'off' }));
    expect(off.relaunched).toBe(false);
  });
});
