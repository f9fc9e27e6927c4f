// Shared helpers for the benchmarks: child processes, a simulator in its own process, and formatting.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const here = dirname(fileURLToPath(import.meta.url));

/** Starts a server script from cases/ in a child process, so its memory never counts toward the exporter's peak RSS. */
export async function startServerProcess(script, options) {
  const child = spawn(process.execPath, [join(here, 'cases', script), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const info = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    ...info,
    stop: () =>
      new Promise((r) => {
        child.once('exit', r);
        child.kill('SIGTERM');
      }),
  };
}

/** The Qualys simulator in its own process. */
export const startSimulatorProcess = (options) => startServerProcess('simulator.mjs', options);

/** Runs one benchmark case in a fresh Node process; the case prints one JSON line of figures last. */
export async function runCase(script, args, nodeFlags = []) {
  const child = spawn(process.execPath, [...nodeFlags, join(here, 'cases', script), ...args.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
  const last = out.trim().split('\n').pop();
  return JSON.parse(last);
}

/** Figures every case reports: wall time and the process's own peak RSS. */
export function report(records, startedAt, extra = {}) {
  const seconds = (performance.now() - startedAt) / 1000;
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ records, seconds, perSecond: records / seconds, maxRssMB, ...extra }));
}

export const fmt = {
  n: (x) => Math.round(x).toLocaleString('en-US'),
  s: (x) => `${x.toFixed(2)} s`,
  mb: (x) => `${Math.round(x)} MB`,
  x: (x) => `${x.toFixed(2)}×`,
};

export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(widths[i])).join('  '));
}

/** A silent logger that counts the debug lines containing `text` (e.g. the rate governor's inferences). */
export function countingLogger(text) {
  let count = 0;
  const logger = {
    debug: (m) => {
      if (m.includes(text)) count++;
    },
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  return { logger, count: () => count };
}
