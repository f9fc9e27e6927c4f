// Containers (issue 21): the real CLI exports every container of the simulator into all four sinks at once (JSON
// Lines, CSV, Excel, Elasticsearch), at two sizes, so that its peak RSS shows whether memory stays bounded as the
// number of containers grows five-fold. Then a container-findings export shows the image lookups: one
// `GET /images/{sha}` per distinct image the containers run, however many containers run it. The simulator and the
// Elasticsearch test server run in their own processes and are not counted. Prints figures; never fails on timing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, here, startServerProcess, startSimulatorProcess, table } from './lib.mjs';

const sizes = (process.env.BENCH_CONTAINERS ?? '20000,100000').split(',').map(Number);
const lookupSizes = (process.env.BENCH_CONTAINER_FINDINGS ?? '3000,15000').split(',').map(Number);
const cli = join(here, '..', 'apps', 'runner', 'dist', 'cli.js');
const time = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const dir = mkdtempSync(join(tmpdir(), 'qcs-bench-containers-'));

const source = (extra = []) => [
  'source:',
  '  baseUrl: ${QCS_BENCH_URL}',
  '  auth:',
  '    username: ${QCS_BENCH_USERNAME}',
  '    password: ${QCS_BENCH_PASSWORD}',
  ...extra,
];

/** Runs the CLI with `--json`; resolves to its wall time, exit, peak RSS (of the CLI alone) and the run's result. */
async function run(sim, lines) {
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const env = { ...process.env, QCS_BENCH_URL: sim.url, QCS_BENCH_USERNAME: sim.username, QCS_BENCH_PASSWORD: sim.password, QCS_EXPORT_MEMORY_LIMIT_MB: 'off' };
  delete env.NODE_OPTIONS;
  const args = [cli, 'run', '-q', '--json', '-c', config];
  const started = performance.now();
  const child = time ? spawn(time, ['-v', process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((r) => child.on('exit', (c, signal) => r(c ?? signal)));
  const seconds = (performance.now() - started) / 1000;
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? Number.NaN);
  if (code !== 0) process.stderr.write(`exit ${code}\n${stderr.split('\n').slice(-20).join('\n')}\n`);
  let result;
  try {
    result = JSON.parse(stdout);
  } catch {
    result = undefined;
  }
  return { seconds, code, peakRssMB: rssKb / 1024, result };
}

const es = await startServerProcess('es-server.mjs', {});
try {
  const rows = [['containers', 'images', 'sinks', 'wall', 'containers/s', 'peak RSS', 'rows per sink']];
  for (const containers of sizes) {
    const sim = await startSimulatorProcess({ images: Math.round(containers / 5), containers, seed: 1 });
    try {
      const out = (name) => join(dir, 'out', name);
      const r = await run(sim, [
        ...source(["  containers: { filter: '' }"]),
        'sinks:',
        `  - { type: jsonl, path: ${out('containers.jsonl')}, records: containers }`,
        `  - { type: csv, path: ${out('containers.csv')}, records: containers }`,
        `  - { type: excel, path: ${out('containers.xlsx')}, records: containers }`,
        `  - { type: elasticsearch, node: "${es.url}", index: containers-${containers}, records: containers }`,
      ]);
      const read = r.result?.containers?.records ?? 0;
      const perSink = r.result?.sinks?.map((s) => s.records) ?? [];
      rows.push([
        fmt.n(containers),
        fmt.n(containers / 5),
        'jsonl, csv, excel, elasticsearch',
        fmt.s(r.seconds),
        fmt.n(read / r.seconds),
        Number.isFinite(r.peakRssMB) ? fmt.mb(r.peakRssMB) : '?',
        r.code === 0 ? perSink.map(fmt.n).join(' / ') : `failed (exit ${r.code})`,
      ]);
    } finally {
      await sim.stop();
    }
  }
  table(rows);
  const [first, last] = [rows[1], rows[rows.length - 1]];
  if (first && last && first !== last)
    console.log(`peak RSS ratio, ${last[0]} to ${first[0]} containers: ${fmt.x(Number.parseFloat(last[5]) / Number.parseFloat(first[5]))}`);

  // The lookups: one details call per distinct image the containers run, at two sizes (memory bounded by batch).
  const lookupRows = [['containers', 'distinct images run', 'lookup calls', 'calls per image', 'container findings', 'wall', 'rows/s', 'peak RSS']];
  for (const lookupContainers of lookupSizes) {
    const sim = await startSimulatorProcess({ images: Math.round(lookupContainers / 5), containers: lookupContainers, seed: 2 });
    try {
      const out = (name) => join(dir, 'out', name);
      const r = await run(sim, [
        ...source(['  vulnerabilities: { from: details }', "  containers: { filter: '' }"]),
        'sinks:',
        `  - { type: jsonl, path: ${out('containers.jsonl')}, records: containers }`,
        `  - { type: csv, path: ${out('container-findings.csv')}, records: container-findings }`,
      ]);
      if (r.code !== 0) {
        lookupRows.push([fmt.n(lookupContainers), '', '', '', `failed (exit ${r.code})`, fmt.s(r.seconds), '', '']);
        continue;
      }
      const distinct = new Set(
        readFileSync(out('containers.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).imageSha)
          .filter((s) => s !== null),
      ).size;
      const lookups = r.result?.containers?.imageLookups;
      const findingRows = r.result?.sinks?.[1]?.records ?? 0;
      lookupRows.push([
        fmt.n(r.result?.containers?.records ?? 0),
        fmt.n(distinct),
        fmt.n(lookups?.calls ?? 0),
        fmt.x((lookups?.calls ?? 0) / Math.max(1, distinct)),
        fmt.n(findingRows),
        fmt.s(r.seconds),
        fmt.n(findingRows / r.seconds),
        Number.isFinite(r.peakRssMB) ? fmt.mb(r.peakRssMB) : '?',
      ]);
    } finally {
      await sim.stop();
    }
  }
  console.log('');
  table(lookupRows);
  console.log(
    [
      '',
      `Peak RSS: the CLI's own, from ${time ? '/usr/bin/time -v' : '(unavailable: no /usr/bin/time)'}; the simulator and Elasticsearch run apart.`,
      "Containers: source.containers.filter '' (every container, every state); the simulator's skew: most images run nowhere, a few in many.",
    ].join('\n'),
  );
} finally {
  await es.stop();
  rmSync(dir, { recursive: true, force: true });
}
