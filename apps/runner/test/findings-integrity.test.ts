import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageFindings, type QualysSimulator } from '@qcs-export/qualys-simulator';
import { liveConfig, PASSWORD, useCliHarness } from './support.js';

// Issue 17: findings are never silently lost or invented, through the CLI.

const h = useCliHarness();
const { cli, simulator, config } = h;

const jsonLines = async (file: string) =>
  (await readFile(join(h.dir, file), 'utf8'))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const FINDINGS_AND_IMAGES = '  - type: jsonl\n    path: out/findings.jsonl\n    records: findings\n  - type: jsonl\n    path: out/images.jsonl\n';
const vulnerable = (s: QualysSimulator) => s.images().filter((i) => imageFindings(i).length > 0);

interface Outcome {
  exitCode: number;
  enrichment: {
    missing: number;
    missingShas: string[];
    rechecks: number;
    exempted: number;
    notScanned: number;
    countMismatches: number;
    mismatchExamples: Array<{ sha: string }>;
  };
}

describe('a findings call answering 404 (point 6)', () => {
  it('for an image the list still holds fails the run loudly, even with -q, and replaces no output', async () => {
    const s = await simulator({ images: 120 });
    const target = vulnerable(s)[10] ?? expect.unreachable();
    s.inject({ kind: 'status', status: 404, path: `/csapi/v1.3/images/${target.sha}` });
    const file = await config(liveConfig(s.url, FINDINGS_AND_IMAGES, '  vulnerabilities: { from: vuln }\n'));
    const r = await cli(['run', '-c', file, '-q'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `error \\[QCS_SOURCE_INCONSISTENT\\]: GET /csapi/v1\\.3/images/${target.sha}/vuln answered 404 for image ${target.sha}, ` +
          'but the image list still holds it',
      ),
    );
    expect(await readdir(join(h.dir, 'out')).catch(() => [])).toEqual([]);
  });

  it('for an image removed since the list exports it without findings, and says so in the summary and --json', async () => {
    const s = await simulator({ images: 120 });
    const target = vulnerable(s)[10] ?? expect.unreachable();
    s.inject({ kind: 'removeImage', path: `/csapi/v1.3/images/${target.sha}` });
    const file = await config(liveConfig(s.url, FINDINGS_AND_IMAGES, '  vulnerabilities: { from: details }\n'));
    const r = await cli(['run', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const outcome = JSON.parse(r.stdout) as Outcome;
    expect(outcome.enrichment).toMatchObject({ missing: 1, missingShas: [target.sha], rechecks: 1 });
    expect(r.stderr).toMatch(
      new RegExp(`image ${target.sha} is gone: GET /csapi/v1\\.3/images/${target.sha} answered 404 and the image list no longer holds it`),
    );
    const images = await jsonLines('out/images.jsonl');
    expect(images.find((i) => i['sha'] === target.sha)?.['vulnerabilities']).toBeNull();
    expect((await jsonLines('out/findings.jsonl')).some((f) => f['sha'] === target.sha)).toBe(false);

    const next = vulnerable(s)[20] ?? expect.unreachable();
    s.inject({ kind: 'removeImage', path: `/csapi/v1.3/images/${next.sha}` });
    const text = await cli(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toContain(` · 1 image GONE since the list (exported without findings, e.g. ${next.sha})`);
  });
});

describe('excepted findings (point 7)', () => {
  it('from: vuln exports the findings under an exception, marked exempted, and counts them', async () => {
    const s = await simulator({ images: 120 });
    const expected = s.images().flatMap((i) => imageFindings(i).map((f) => ({ sha: i.sha, qid: f['qid'], exempted: f['isExempted'] })));
    const excepted = expected.filter((f) => f.exempted === true);
    expect(excepted.length).toBeGreaterThan(0);
    const file = await config(liveConfig(s.url, FINDINGS_AND_IMAGES, '  vulnerabilities: { from: vuln }\n'));
    const r = await cli(['run', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const rows = await jsonLines('out/findings.jsonl');
    expect(rows).toHaveLength(expected.length);
    const exemptedRows = rows.filter((f) => f['exempted'] === true).map((f) => `${String(f['sha'])}/${String(f['qid'])}`);
    expect(new Set(exemptedRows)).toEqual(new Set(excepted.map((f) => `${f.sha}/${String(f.qid)}`)));
    expect((JSON.parse(r.stdout) as Outcome).enrichment.exempted).toBe(excepted.length);
    expect(s.requests.filter((q) => q.path.endsWith('/vuln')).every((q) => q.query['applyException'] === 'false')).toBe(true);
  });

  it('doctor says whether the tenant hides excepted findings by default, with the numbers', async () => {
    const s = await simulator({ images: 200 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n'));
    const r = await cli(['doctor', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const line = new RegExp(
      '^excepted findings on /vuln: HIDDEN by default \\(image [0-9a-f]{12}: the list counts (\\d+); (\\d+) findings as /vuln sends them by default, ' +
        '(\\d+) with applyException=false \\((\\d+) marked isExempted\\)\\); qcs-export sends applyException=false.*$',
      'm',
    );
    const [text, listed, byDefault, all, marked] = line.exec(r.stdout) ?? expect.unreachable(r.stdout);
    expect(Number(all) - Number(byDefault)).toBe(Number(marked));
    // The simulator's list counts every finding, excepted or not.
    expect(Number(listed)).toBe(Number(all));
    expect(text).not.toMatch(/leaves them out of its counts too/);
    expect(text).toMatch(/; exception details readable \(\d+ exceptions on that image\)$/);
    const json = await cli(['doctor', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect((JSON.parse(json.stdout) as { exceptions: { hiddenByDefault: boolean } }).exceptions.hiddenByDefault).toBe(true);
  });

  it('doctor also says when the image list leaves excepted findings out of its counts', async () => {
    const s = await simulator({ images: 200, listCountsExcludeExceptions: true });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n'));
    const r = await cli(['doctor', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^excepted findings on \/vuln: HIDDEN by default .*; the list leaves them out of its counts too, so an image whose every/m);
  });

  it('doctor says when this user may not read the exceptions, which leaves excepted findings without reason and end date', async () => {
    const s = await simulator({ images: 200, exceptionsForbidden: true });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n'));
    const r = await cli(['doctor', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const verdict = (JSON.parse(r.stdout) as { exceptions: { detailsReadable?: boolean; detail: string } }).exceptions;
    expect(verdict.detailsReadable).toBe(false);
    expect(verdict.detail).toMatch(/exception details FORBIDDEN \(GET …\/exceptions answered 403\)/);
  });
});

describe('unknown stays unknown (point 8)', () => {
  it('never-scanned images keep null counts and get no finding rows, as without enrichment', async () => {
    const s = await simulator({ images: 200 });
    const never = new Set(
      s
        .images()
        .filter((i) => i.vulnerabilities === null)
        .map((i) => i.sha),
    );
    expect(never.size).toBeGreaterThan(1);
    const file = await config(liveConfig(s.url, FINDINGS_AND_IMAGES, '  vulnerabilities: { from: details }\n'));
    const r = await cli(['run', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const images = (await jsonLines('out/images.jsonl')).filter((i) => never.has(i['sha'] as string));
    expect(images).toHaveLength(never.size);
    for (const image of images) expect(image).toMatchObject({ vulnerabilityCounts: null, vulnerabilities: null });
    expect((await jsonLines('out/findings.jsonl')).filter((f) => never.has(f['sha'] as string))).toEqual([]);
    expect((JSON.parse(r.stdout) as Outcome).enrichment.notScanned).toBe(never.size);
  });

  it('list counts that disagree with the findings are warned about once, with the numbers, and counted in the summary and --json', async () => {
    const s = await simulator({ images: 200, listCountsExcludeExceptions: true });
    const file = await config(liveConfig(s.url, FINDINGS_AND_IMAGES, '  vulnerabilities: { from: vuln }\n'));
    const r = await cli(['run', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    const { enrichment } = JSON.parse(r.stdout) as Outcome;
    expect(enrichment.countMismatches).toBeGreaterThan(5);
    expect(enrichment.mismatchExamples).toHaveLength(5);
    const warnings = r.stderr.split('\n').filter((l) => /disagree with the findings/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`${enrichment.countMismatches} images have severity counts in the image list that disagree`));
    expect(warnings[0]).toContain(enrichment.mismatchExamples[0]?.sha);

    const text = await cli(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(
      new RegExp(`${enrichment.countMismatches} images' list counts DISAGREE with their findings \\(e\\.g\\. [0-9a-f]{64}: list \\d+, findings \\d+\\)`),
    );
  });
});
