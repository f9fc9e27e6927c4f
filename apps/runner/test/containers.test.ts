import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { imageFindings, type QualysSimulator } from '@qcs-export/qualys-simulator';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

// Issue 21: a run whose sinks write container grains reads the containers, each once, and looks up each image they
// run once, whatever the number of containers running it; over loopback against the simulator's container endpoints.
const h = useCliHarness();
const { cli, simulator, config } = h;

const csvRows = async (file: string) => {
  const [header, ...rows] = parse(await readFile(join(h.dir, file), 'utf8'), { bom: true }) as string[][];
  return rows.map((r) => Object.fromEntries((header ?? []).map((k, i) => [k, r[i] ?? ''])));
};
const jsonLines = async (file: string) =>
  (await readFile(join(h.dir, file), 'utf8'))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The running containers the simulator holds, and the container × finding keys they carry through their images. */
function expected(s: QualysSimulator) {
  const images = new Map(s.images().map((i) => [i.sha, i]));
  const running = s.containers().filter((c) => c.state === 'RUNNING');
  const findings = new Set<string>();
  for (const c of running) {
    const image = c.imageSha === null ? undefined : images.get(c.imageSha);
    for (const f of image ? imageFindings(image) : []) findings.add(`${c.sha}/${String(f['qid'])}`);
  }
  const lookedUp = new Set(running.map((c) => c.imageSha).filter((sha): sha is string => sha !== null));
  return { running, findings, lookedUp };
}

const detailCalls = (s: QualysSimulator) => s.requests.filter((r) => /^\/csapi\/v1\.3\/images\/[0-9a-f]{64}$/.test(r.path)).map((r) => r.path);

describe('containers and container findings (issue 21)', () => {
  it('every running container once, every container × finding once, and each image looked up once however many containers run it', async () => {
    const s = await simulator({ images: 120, containers: 500 });
    const want = expected(s);
    const file = await config(
      liveConfig(
        s.url,
        '  - type: csv\n    path: containers.csv\n    records: containers\n' +
          '  - type: csv\n    path: running-findings.csv\n    records: container-findings\n' +
          '  - type: jsonl\n    path: running-findings.jsonl\n    records: container-findings\n',
        '  vulnerabilities: { from: details }\n',
      ),
    );
    const r = await cli(['run', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.stderr).toMatch(/progress: containers [\d,]+/);
    expect(r.code).toBe(0);
    const rows = await csvRows('containers.csv');
    expect(rows.map((c) => c['Container SHA']).sort()).toEqual(want.running.map((c) => c.sha).sort());
    expect(rows.every((c) => c['State'] === 'RUNNING')).toBe(true);
    // Kubernetes context from either form Qualys sends it in, and the image's repositories from its lookup.
    expect(rows.filter((c) => c['Namespace'] !== '').length).toBeGreaterThan(rows.length / 3);
    expect(rows.filter((c) => c['Image'] !== '').length).toBeGreaterThan(rows.length / 2);

    const findingRows = await csvRows('running-findings.csv');
    const keys = findingRows.map((f) => `${f['Container SHA']}/${f['QID']}`);
    expect(keys).toHaveLength(want.findings.size);
    expect(new Set(keys)).toEqual(want.findings);
    expect(new Set(findingRows.map((f) => f['Container Finding Key'])).size).toBe(keys.length);
    const lines = await jsonLines('running-findings.jsonl');
    expect(new Set(lines.map((l) => `${String(l['containerSha'])}/${String(l['qid'])}`))).toEqual(want.findings);
    // An exempted finding is marked in the container's row as in the image's.
    expect(lines.some((l) => l['exempted'] === true && l['slaStatus'] === 'exempted')).toBe(true);

    // One details call per distinct image the running containers name, and no image list read at all.
    const calls = detailCalls(s);
    expect(new Set(calls).size).toBe(calls.length);
    expect(new Set(calls.map((p) => p.slice(p.lastIndexOf('/') + 1)))).toEqual(want.lookedUp);
    expect(s.requests.some((q) => q.path === '/csapi/v1.3/images')).toBe(false);
    const result = JSON.parse(r.stdout) as { imagesRead: boolean; containers: { records: number; imageLookups: { calls: number; reused: number } } };
    expect(result.imagesRead).toBe(false);
    expect(result.containers.records).toBe(want.running.length);
    expect(result.containers.imageLookups).toMatchObject({ calls: want.lookedUp.size, reused: 0 });
  });

  it('a run that reads the images with their findings first reuses them for the containers: no image is asked twice', async () => {
    const s = await simulator({ images: 100, containers: 300 });
    const want = expected(s);
    const file = await config(
      liveConfig(
        s.url,
        '  - type: csv\n    path: findings.csv\n    records: findings\n  - type: csv\n    path: running.csv\n    records: container-findings\n',
        '  vulnerabilities: { from: details }\n',
      ),
    );
    const r = await cli(['run', '-c', file, '--json', '-q'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    const calls = detailCalls(s);
    expect(new Set(calls).size).toBe(calls.length);
    const rows = await csvRows('running.csv');
    expect(new Set(rows.map((f) => `${f['Container SHA']}/${f['QID']}`))).toEqual(want.findings);
    const result = JSON.parse(r.stdout) as { imagesRead: boolean; containers: { imageLookups: { calls: number; reused: number } } };
    expect(result.imagesRead).toBe(true);
    expect(result.containers.imageLookups.reused).toBeGreaterThan(0);
  });

  it("source.containers.filter '' reads every container, deleted and stopped ones too", async () => {
    const s = await simulator({ images: 60, containers: 200 });
    const file = await config(
      liveConfig(s.url, '  - type: jsonl\n    path: containers.jsonl\n    records: containers\n', "  containers: { filter: '', strategy: bulk }\n"),
    );
    const r = await cli(['run', '-c', file, '-q', '--manifest', 'manifest.json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    const lines = await jsonLines('containers.jsonl');
    // The audit manifest says what was read: the containers' filter, strategy and count, as for images.
    const manifest = JSON.parse(await readFile(join(h.dir, 'manifest.json'), 'utf8')) as { source: { containers: Record<string, unknown> } };
    expect(manifest.source.containers).toMatchObject({ filterSent: null, strategy: 'bulk', containersRead: lines.length, countAtEnd: lines.length });
    expect(lines.map((l) => l['sha']).sort()).toEqual(
      s
        .containers()
        .map((c) => c.sha)
        .sort(),
    );
    expect(new Set(lines.map((l) => l['state'])).size).toBeGreaterThan(1);
  });

  it('a container list the server keeps short fails the run loudly, and the previous output stays', async () => {
    const s = await simulator({ images: 60, containers: 200, faults: [{ kind: 'shortPage', count: 1000, path: '/csapi/v1.3/containers' }] });
    await writeFile(join(h.dir, 'containers.csv'), 'previous good export\n');
    const file = await config(
      liveConfig(s.url, '  - type: csv\n    path: containers.csv\n    records: containers\n', "  containers: { filter: '', strategy: pages }\n"),
    );
    const r = await cli(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/QCS_SOURCE_INCOMPLETE.*containers/);
    expect(await readFile(join(h.dir, 'containers.csv'), 'utf8')).toBe('previous good export\n');
  });

  it('refuses what cannot work, before any request: container findings without vulnerabilities, containers with run.state', async () => {
    const s = await simulator({ images: 10, containers: 10 });
    const noFindings = await config(liveConfig(s.url, '  - type: csv\n    path: f.csv\n    records: container-findings\n'));
    const a = await cli(['run', '-c', noFindings], { QUALYS_PASSWORD: PASSWORD });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/records: container-findings needs the vulnerabilities of each image; add source\.vulnerabilities/);
    const withState = await config(`${liveConfig(s.url, '  - type: csv\n    path: c.csv\n    records: containers\n')}run:\n  state: state.json\n`);
    const b = await cli(['run', '-c', withState], { QUALYS_PASSWORD: PASSWORD });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/with run\.state, records: containers cannot be written/);
    expect(s.requests.filter((q) => q.path.startsWith('/csapi/'))).toEqual([]);
  });

  it('doctor checks the container endpoints, and fails only a config that writes containers when they cannot be read', async () => {
    const s = await simulator({ images: 30, containers: 60 });
    const writesContainers = await config(liveConfig(s.url, '  - type: csv\n    path: c.csv\n    records: containers\n'));
    const ok = await cli(['doctor', '-c', writesContainers, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { containers: { access: { ok: boolean }; count: number; bulk: { ok: boolean }; auto: { strategy: string } } };
    expect(report.containers).toMatchObject({ access: { ok: true }, bulk: { ok: true }, auto: { strategy: 'pages' } });
    expect(report.containers.count).toBe(s.containers().filter((c) => c.state === 'RUNNING').length);

    // A user who may read images but not containers: the list answers 404 (or 403) on /containers.
    s.inject({ kind: 'status', status: 404, count: 100, path: '/csapi/v1.3/containers' });
    const refused = await cli(['doctor', '-c', writesContainers], { QUALYS_PASSWORD: PASSWORD });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/✗ access: GET \/csapi\/v1\.3\/containers refused/);
    expect(refused.stderr).toMatch(
      /^error \[QCS_SOURCE_INCOMPLETE\]: this config writes containers, but GET \/csapi\/v1\.3\/containers refused.*permission to read containers/,
    );
    const imagesOnly = await config(liveConfig(s.url, '  - type: csv\n    path: i.csv\n'));
    const fine = await cli(['doctor', '-c', imagesOnly], { QUALYS_PASSWORD: PASSWORD });
    expect(fine.code).toBe(0);
    expect(fine.stdout).toMatch(/✗ access: GET \/csapi\/v1\.3\/containers refused/);
  });

  it('validate says which lists a run reads, and --connect counts the containers the filter matches', async () => {
    const s = await simulator({ images: 40, containers: 120 });
    const file = await config(liveConfig(s.url, '  - type: csv\n    path: i.csv\n  - type: csv\n    path: c.csv\n    records: containers\n'));
    const r = await cli(['validate', '-c', file, '--connect'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/config OK: .* → 2 sinks \(csv, csv\); reads images and containers \(filter state:RUNNING\)/);
    const running = s.containers().filter((c) => c.state === 'RUNNING').length;
    expect(r.stdout).toContain(`${running.toLocaleString('en-US')} containers match source.containers.filter`);
  });
});
