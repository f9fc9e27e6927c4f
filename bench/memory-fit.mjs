// Memory fit for a container limit: the real CLI (`qcs-export run`) exports to JSON Lines, CSV and Excel at once,
// against the simulator in its own process, at two sizes, with no heap setting and with the heap sized for a
// 256 MiB container. The CLI runs in its own process (the simulator's memory never counts) under /usr/bin/time -v,
// whose "Maximum resident set size" is the peak of the largest process in the CLI's tree, i.e. the exporter.
// When the CLI starts itself again with a smaller heap, the launcher it leaves behind is sampled from /proc: its
// private memory (RssAnon) adds to the container's total; its file pages are the same node binary's, counted once.
// The simulator runs without rate limits (bench/cases/simulator.mjs), and the client's own budget for /images/**
// (5,000 calls a minute until the server says otherwise) is far above the ~540 calls of 500,000 images at the
// default pageSize 1000 with strategy auto (keyset windows), so memory, not the rate budget, is what is measured.
// Prints figures; never fails on timing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, here, startSimulatorProcess, table } from './lib.mjs';

const small = Number(process.env.BENCH_MEMORY_SMALL ?? 50_000);
const large = Number(process.env.BENCH_MEMORY_LARGE ?? 500_000);
const LIMIT = 256 * 1024 * 1024; // 268,435,456 bytes
const cli = join(here, '..', 'apps', 'runner', 'dist', 'cli.js');
const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

// Each setting is the environment the CLI runs with:
// - no flags: the automatic sizing off and no limit, as on this machine before it existed (V8 sizes the heap from
//   the machine's memory: 4 GB old space, 16 MB semi-spaces);
// - Node in a 256 MiB cgroup: what Node 20 itself gives a process when it sees a 256 MiB cgroup limit (libuv's
//   constrained memory), by V8's sizing rule: its floor of 256 MB old space and the 1 MB semi-space it derives from
//   that (heap_size_limit 259 MB), simulated here with those flags;
// - auto: what a 256 MiB container gets now with no configuration (the limit, here from QCS_EXPORT_MEMORY_LIMIT_MB
//   instead of a cgroup, makes the CLI start again with the heap flags, behind a small launcher);
// - NODE_OPTIONS: the same flags set by hand, with no launcher;
// - auto with `source.prefetch: 1`: one page ahead per keyset window instead of two.
const flags = '--max-old-space-size=128 --max-semi-space-size=1';
const settings = [
  { name: 'no flags (sizing off)', env: { QCS_EXPORT_MEMORY_LIMIT_MB: 'off' } },
  { name: 'Node in a 256 MiB cgroup', env: { QCS_EXPORT_MEMORY_LIMIT_MB: 'off', NODE_OPTIONS: '--max-old-space-size=256 --max-semi-space-size=1' } },
  { name: 'auto, 256 MiB limit', env: { QCS_EXPORT_MEMORY_LIMIT_MB: '256' } },
  { name: 'NODE_OPTIONS', env: { QCS_EXPORT_MEMORY_LIMIT_MB: 'off', NODE_OPTIONS: flags } },
  { name: 'auto, 256 MiB, prefetch 1', env: { QCS_EXPORT_MEMORY_LIMIT_MB: '256' }, source: '  prefetch: 1' },
];

const dir = mkdtempSync(join(tmpdir(), 'qcs-bench-mem-'));
const configFor = (setting) => {
  const path = join(dir, `config-${settings.indexOf(setting)}.yaml`);
  const lines = ['source:', '  baseUrl: ${QCS_BENCH_URL}', '  auth:', '    username: ${QCS_BENCH_USERNAME}', '    password: ${QCS_BENCH_PASSWORD}'];
  if (setting.source) lines.push(setting.source);
  lines.push('sinks:');
  for (const [type, ext] of [
    ['jsonl', 'jsonl'],
    ['csv', 'csv'],
    ['excel', 'xlsx'],
  ])
    lines.push(`  - type: ${type}`, `    path: ${join(dir, 'out', `images.${ext}`)}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
};

const status = (pid) => {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
};
const children = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/** Runs the CLI once; resolves to its wall time, exit status, peak RSS and the launcher's peak private memory. */
async function exportOnce(sim, setting) {
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  const env = { ...process.env, QCS_BENCH_URL: sim.url, QCS_BENCH_USERNAME: sim.username, QCS_BENCH_PASSWORD: sim.password, QCS_DEBUG: '1' };
  delete env.NODE_OPTIONS;
  Object.assign(env, setting.env);
  const args = [cli, 'run', '-c', configFor(setting)];
  const started = performance.now();
  const stdio = ['ignore', 'ignore', 'pipe'];
  const child = time ? spawn(time, ['-v', process.execPath, ...args], { env, stdio }) : spawn(process.execPath, args, { env, stdio });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // The node processes under /usr/bin/time: the CLI, and when it relaunched, its child (the exporter).
  const peaks = new Map();
  let anonPeak = 0;
  const sample = () => {
    const root = time ? children(child.pid) : [child.pid];
    let anon = 0;
    for (const pid of [...root, ...root.flatMap(children)]) {
      const s = status(pid);
      if (!s) continue;
      anon += s.anon;
      const p = peaks.get(pid) ?? { anon: 0, hwm: 0, depth: root.includes(pid) ? 0 : 1 };
      peaks.set(pid, { ...p, anon: Math.max(p.anon, s.anon), hwm: Math.max(p.hwm, s.hwm) });
    }
    anonPeak = Math.max(anonPeak, anon);
  };
  const timer = setInterval(sample, 50);
  const code = await new Promise((r) => child.on('exit', (c, signal) => r(c ?? signal)));
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  const maxRssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? Number.NaN);
  const killed = /Command terminated by signal (\d+)/.exec(stderr)?.[1];
  const exit = killed ? `signal ${killed}` : time ? Number(/Exit status: (\d+)/.exec(stderr)?.[1] ?? code) : code;
  const all = [...peaks.values()];
  const relaunched = all.some((p) => p.depth === 1);
  const launcher = relaunched ? all.find((p) => p.depth === 0) : undefined;
  const peakRss = Number.isFinite(maxRssKb) ? maxRssKb * 1024 : Math.max(...all.map((p) => p.hwm));
  const heapFlags = /heap: starting again with .*→ (.*)/.exec(stderr)?.[1];
  const exported = /exported ([\d,]+) images/.exec(stderr)?.[1];
  if (exit !== 0) process.stderr.write(`${setting.name}: exit ${exit}\n${stderr.split('\n').slice(-30).join('\n')}\n`);
  return { seconds, exit, peakRss, launcherAnon: launcher?.anon ?? 0, anonPeak, flags: heapFlags, exported };
}

const rows = [['images', 'setting', 'heap flags', 'wall', 'peak RSS', 'launcher', 'total', 'anon', 'fits 256 MiB']];
const mib = (bytes) => `${Math.round(bytes / 1024 / 1024)} MiB`;
try {
  for (const images of [small, large]) {
    const sim = await startSimulatorProcess({ images, seed: 1 });
    try {
      for (const setting of settings) {
        const r = await exportOnce(sim, setting);
        const total = r.peakRss + r.launcherAnon;
        const complete = Number(r.exported?.replaceAll(',', '')) === images;
        rows.push([
          fmt.n(images),
          setting.name,
          r.flags ?? (setting.env.NODE_OPTIONS || 'none'),
          fmt.s(r.seconds),
          mib(r.peakRss),
          r.launcherAnon ? `+${mib(r.launcherAnon)}` : '-',
          mib(total),
          mib(r.anonPeak),
          r.exit !== 0
            ? `failed (exit ${r.exit})`
            : !complete
              ? `incomplete (${r.exported})`
              : total <= LIMIT
                ? `yes (${Math.round((total / LIMIT) * 100)}%)`
                : 'no',
        ]);
      }
    } finally {
      await sim.stop();
    }
  }
  table(rows);
  console.log(
    [
      '',
      'Sinks: jsonl + csv + excel at once; the simulator runs in its own process and is not counted.',
      `Peak RSS: the exporter's, from ${time ? '/usr/bin/time -v' : 'VmHWM sampled every 50 ms'}.`,
      'Launcher: the private memory (RssAnon) of the process that started the exporter again with the heap flags;',
      "its binary pages are the same file as the exporter's, counted once in a cgroup. Total = peak RSS + launcher.",
      'Anon: the peak of the private memory of both together (sampled), the part a cgroup cannot reclaim; the rest is file pages.',
      `256 MiB = ${LIMIT.toLocaleString('en-US')} bytes. Every setting but the first is one a 256 MiB container may get.`,
    ].join('\n'),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
