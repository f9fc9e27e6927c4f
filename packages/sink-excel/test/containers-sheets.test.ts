import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildColumnsFor,
  containerRowsOf,
  normalizeContainer,
  normalizeImage,
  rowsOf,
  shapeOf,
  type AnyColumn,
  type ImageRecord,
  type RecordGrain,
  type RunContainer,
  type SoftwarePackage,
} from '@qcs-export/core';
import { makeRunContext, makeTestFinding, makeTestPackage } from '@qcs-export/sink-testkit';
import { createExcelSink, excelSink } from '../src/index.js';
import { dataSheets, readWorkbook, sheetValues } from './read-back.js';

// Issue 21, points 3 and 4, in the workbook: Containers, Container Findings and Software sheets, and their Summary figures.
const ctx = { startedAt: new Date(Date.UTC(2026, 10, 22, 10, 30, 0)) };
const OLD = '2024-01-01T00:00:00.000Z';
const RECENT = '2026-11-20T00:00:00.000Z';

const pkg = makeTestPackage;

function image(sha: string, repository: string, vulnerabilities: ReturnType<typeof makeTestFinding>[], software: SoftwarePackage[]): ImageRecord {
  const record = normalizeImage({ sha, imageId: sha.slice(0, 12), repo: [{ registry: 'docker.io', repository, tag: '1.2' }] }, 'images/details');
  return { ...record, vulnerabilities, software };
}

/** Image A: a breached CRITICAL and an exempted MEDIUM; an end-of-life openssl. Image B: a LOW found recently. */
const IMAGE_A = image(
  'a'.repeat(64),
  'team/api',
  [makeTestFinding(1001, { severity: 5, firstFound: OLD, lastFound: OLD }), makeTestFinding(1002, { severity: 3, firstFound: OLD, isExempted: true })],
  [pkg('openssl', { version: '1.0.2', lifecycleStage: 'EOL', endOfLife: '2019-12-31T00:00:00.000Z' }), pkg('zlib')],
);
const IMAGE_B = image('b'.repeat(64), 'team/web', [makeTestFinding(2001, { severity: 2, firstFound: RECENT, lastFound: RECENT })], [pkg('musl')]);

function container(n: number, state: string, namespace: string | null, counts: Record<string, number> | undefined, image: ImageRecord | null): RunContainer {
  const raw: Record<string, unknown> = {
    sha: `${n}`.repeat(64).slice(0, 64),
    containerId: `${n}`.repeat(12),
    name: `app-${n}`,
    state,
    imageSha: image?.sha ?? 'f'.repeat(64),
    created: '1764547200000',
    host: { hostname: `node-${n}`, ipAddress: `10.0.0.${n}` },
    label:
      namespace === null
        ? []
        : [
            { key: 'io.kubernetes.pod.namespace', value: namespace },
            { key: 'io.kubernetes.pod.name', value: `app-${n}-pod` },
          ],
  };
  if (counts) raw.vulnerabilities = counts;
  return { container: normalizeContainer(raw, 'containers'), image };
}

/**
 * Eight containers: running ones carrying CRITICAL by their counts (1) and by their image's findings (2), HIGH in a
 * namespace (3) and in none (4), none (6), LOW (7) and unknown, without counts or image (8); one stopped (5).
 */
const CONTAINERS: RunContainer[] = [
  container(1, 'RUNNING', 'payments', { severity5Count: 1, severity3Count: 1 }, IMAGE_A),
  container(2, 'RUNNING', 'payments', undefined, IMAGE_A),
  container(3, 'RUNNING', 'checkout', { severity4Count: 2 }, IMAGE_B),
  container(4, 'RUNNING', null, { severity4Count: 1 }, IMAGE_A),
  container(5, 'STOPPED', 'payments', { severity5Count: 1 }, IMAGE_A),
  container(6, 'RUNNING', 'web', { severity1Count: 0 }, IMAGE_B),
  container(7, 'RUNNING', 'checkout', { severity2Count: 3 }, IMAGE_B),
  container(8, 'RUNNING', 'web', undefined, null),
];

type Summary = Awaited<ReturnType<ReturnType<typeof excelSink.create>['close']>>;
type Formats = ExcelJS.Worksheet & { conditionalFormattings: Array<{ ref: string; rules: Array<{ type: string; formulae: unknown[] }> }> };

const columnsOf = (grain: RecordGrain) =>
  buildColumnsFor(shapeOf(grain) as Parameters<typeof buildColumnsFor>[0], undefined, { joinWith: '; ' }) as AnyColumn[];

/** Checks each data row against the columns' values: dates as real dates, everything else as the value. */
function expectRows(sheet: ExcelJS.Worksheet, columns: readonly AnyColumn[], records: readonly unknown[]): void {
  const [header, ...rows] = sheetValues(sheet);
  expect(header).toEqual(columns.map((c) => c.header));
  expect(rows).toHaveLength(records.length);
  records.forEach((record, r) => {
    columns.forEach((column, c) => {
      const want = column.value(record);
      const got = rows[r]?.[c];
      const where = `${sheet.name} row ${r + 2} ${column.header}`;
      if (want === null) expect(got, where).toBeNull();
      else if (column.type === 'date') expect((got as Date).toISOString(), where).toBe(want);
      else expect(got, where).toBe(want);
    });
  });
}

describe('excel sink: containers, container findings and software (issue 21)', () => {
  let dir: string;
  const dirs: string[] = [];
  const newDir = async () => {
    dir = await mkdtemp(join(tmpdir(), 'qcs-xlsx-containers-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function write(
    options: Record<string, unknown>,
    { images = [], containers = [] }: { images?: readonly ImageRecord[]; containers?: readonly RunContainer[] },
  ): Promise<{ workbook: ExcelJS.Workbook; summary: Summary }> {
    await newDir();
    const sink = excelSink.create(excelSink.options.parse({ path: 'out.xlsx', ...options }), makeRunContext({ baseDir: dir, ...ctx }));
    await sink.open();
    // Images first, then containers, three at a time, as the run hands them over.
    for (let i = 0; i < images.length; i += 3) await sink.write(images.slice(i, i + 3));
    for (let i = 0; i < containers.length; i += 3) await sink.writeContainers?.(containers.slice(i, i + 3));
    const summary = await sink.close();
    return { workbook: await readWorkbook(join(dir, 'out.xlsx')), summary };
  }

  it('records: containers gives a Containers sheet, one row per container with the default columns, printed like the others', async () => {
    const { workbook, summary } = await write({ records: 'containers' }, { containers: CONTAINERS });
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Containers', 'Summary']);
    const sheet = workbook.getWorksheet('Containers') as ExcelJS.Worksheet;
    expectRows(sheet, columnsOf('containers'), containerRowsOf(CONTAINERS, 'containers', ctx));
    expect(sheetValues(sheet)[0]?.slice(0, 6)).toEqual(['Container', 'State', 'Cluster', 'Namespace', 'Pod', 'Image']);
    // The image it runs, from the image the run looked up; none for the container whose image is gone.
    expect(sheetValues(sheet)[1]?.[5]).toBe('docker.io/team/api:1.2');
    expect(sheetValues(sheet)[8]?.[5]).toBeNull();
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.pageSetup).toMatchObject({ orientation: 'landscape', fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:1' });
    // Severity 5, 4 and 3 counts coloured as on the Images sheets (columns G, H, I).
    expect((sheet as Formats).conditionalFormattings.map((cf) => cf.ref).sort()).toEqual(['G2:G9', 'H2:H9', 'I2:I9']);
    expect(summary).toMatchObject({ records: 8, delivered: 8, rejected: 0, details: { sheets: 'Containers', containers: 8 } });
  });

  it('records: container-findings gives one row per container × finding; none for a container without its image, exempted ones marked', async () => {
    const { workbook, summary } = await write({ records: 'container-findings' }, { containers: CONTAINERS });
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Container Findings', 'Summary']);
    const sheet = workbook.getWorksheet('Container Findings') as ExcelJS.Worksheet;
    const expected = containerRowsOf(CONTAINERS, 'container-findings', ctx);
    // Image A's two findings in each of its four containers, image B's one in each of its three; container 8 has none.
    expect(expected).toHaveLength(11);
    const columns = columnsOf('container-findings');
    expectRows(sheet, columns, expected);
    const rows = sheetValues(sheet).slice(1);
    const at = (key: string) => columns.findIndex((c) => c.key === key);
    expect(rows.some((r) => r[at('containerName')] === 'app-8')).toBe(false);
    // The same finding in two containers of one image: two rows, two keys.
    const critical = rows.filter((r) => r[at('qid')] === 1001 && ['app-1', 'app-2'].includes(r[at('containerName')] as string));
    expect(critical).toHaveLength(2);
    expect(new Set(critical.map((r) => r[at('findingKey')])).size).toBe(2);
    expect(critical.map((r) => r[at('slaStatus')])).toEqual(['breached', 'breached']);
    expect(rows.filter((r) => r[at('slaStatus')] === 'exempted').map((r) => r[at('qid')])).toEqual([1002, 1002, 1002, 1002]);
    // SLA Status and Days Overdue marked by the status word, as the Findings sheet does.
    const status = String.fromCharCode(65 + at('slaStatus'));
    const overdue = String.fromCharCode(65 + at('daysOverdue'));
    const sla = (sheet as Formats).conditionalFormattings.find((cf) => cf.ref === `${status}2:${overdue}12`);
    expect(sla?.rules.map((r) => [r.type, r.formulae[0]])).toEqual([
      ['expression', `$${status}2="breached"`],
      ['expression', `$${status}2="exempted"`],
    ]);
    expect(sheet.pageSetup).toMatchObject({ fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:1' });
    expect(summary).toMatchObject({ records: 11, delivered: 11, details: { containerFindings: 11 } });
  });

  it('records: software gives one row per image × package, the row of a package past end of life highlighted', async () => {
    const { workbook, summary } = await write({ records: 'software' }, { images: [IMAGE_A, IMAGE_B] });
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Software', 'Summary']);
    const sheet = workbook.getWorksheet('Software') as ExcelJS.Worksheet;
    const columns = columnsOf('software');
    expectRows(sheet, columns, rowsOf([IMAGE_A, IMAGE_B], 'software', ctx));
    const eol = columns.findIndex((c) => c.key === 'pastEndOfLife');
    expect(
      sheetValues(sheet)
        .slice(1)
        .map((r) => [r[1], r[eol]]),
    ).toEqual([
      ['openssl', true],
      ['zlib', false],
      ['musl', false],
    ]);
    const letter = String.fromCharCode(65 + eol);
    const last = String.fromCharCode(64 + columns.length);
    const rule = (sheet as Formats).conditionalFormattings.find((cf) => cf.ref === `A2:${last}4`);
    expect(rule?.rules.map((r) => [r.type, r.formulae[0]])).toEqual([['expression', `$${letter}2=TRUE`]]);
    expect(sheet.pageSetup).toMatchObject({ orientation: 'landscape', fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:1' });
    const info = summaryRows(workbook);
    expect(info.get('Past end of life')).toBe(1);
    expect(info.get('Installed packages (Software rows)')).toBe(3);
    expect(summary).toMatchObject({ records: 3, delivered: 3 });
  });

  it('a mixed workbook: image batches feed the image sheets, container batches the container sheets, and the Summary counts both', async () => {
    const { workbook, summary } = await write(
      { records: ['container-findings', 'images', 'containers', 'findings', 'software'] },
      { images: [IMAGE_A, IMAGE_B], containers: CONTAINERS },
    );
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Images', 'Findings', 'SLA', 'Software', 'Containers', 'Container Findings', 'Summary']);
    expect(sheetValues(workbook.getWorksheet('Images') as ExcelJS.Worksheet)).toHaveLength(3);
    expect(sheetValues(workbook.getWorksheet('Findings') as ExcelJS.Worksheet)).toHaveLength(4);
    expect(sheetValues(workbook.getWorksheet('Software') as ExcelJS.Worksheet)).toHaveLength(4);
    expectRows(workbook.getWorksheet('Containers') as ExcelJS.Worksheet, columnsOf('containers'), containerRowsOf(CONTAINERS, 'containers', ctx));
    expectRows(
      workbook.getWorksheet('Container Findings') as ExcelJS.Worksheet,
      columnsOf('container-findings'),
      containerRowsOf(CONTAINERS, 'container-findings', ctx),
    );
    // Counted at the workbook's first grain, images; the other sheets' rows in the details.
    expect(summary).toMatchObject({
      records: 2,
      delivered: 2,
      details: { sheets: 'Images, Findings, Software, Containers, Container Findings', findings: 3, software: 3, containers: 8, containerFindings: 11 },
    });

    const info = summaryRows(workbook);
    // Image and container tables together are too long for one page: one wide, as many tall as they need.
    expect(workbook.getWorksheet('Summary')?.pageSetup).toMatchObject({ fitToWidth: 1, fitToHeight: 0 });
    expect(info.get('Images exported')).toBe(2);
    expect(info.get('Containers exported')).toBe(8);
    expect(info.after('State')).toEqual([
      ['RUNNING', 7, null, null, null, null, null, null],
      ['STOPPED', 1, null, null, null, null, null, null],
    ]);
    expect(info.get('Running containers')).toBe(7);
    const carried = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO', 'none', 'unknown'].map((w) => [w, info.get(`Running containers with ${w}`)]);
    expect(carried).toEqual([
      ['CRITICAL', 2],
      ['HIGH', 2],
      ['MEDIUM', 0],
      ['LOW', 1],
      ['INFO', 0],
      ['none', 1],
      ['unknown', 1],
    ]);
    expect(info.after('Namespace').map((r) => r.slice(0, 3))).toEqual([
      ['payments', 2, 2],
      ['checkout', 1, 2],
      ['(no namespace)', 1, 1],
    ]);
    // Findings of the running containers only (container 5 is stopped): image A's in 1, 2 and 4, image B's in 3, 6 and 7.
    const sla = summaryRows(workbook, 'Findings of running containers by SLA status');
    expect(sla.after('SLA status').map((r) => r.slice(0, 2))).toEqual([
      ['breached', 3],
      ['within', 3],
      ['exempted', 3],
      ['n/a', 0],
    ]);
    expect(info.get('Past end of life')).toBe(1);
  });

  it('continues on "Containers (2)" with the header repeated, from the spool behind the Images sheets too', async () => {
    const { workbook, summary } = await write({ records: ['images', 'containers'], rowsPerSheet: 3 }, { images: [IMAGE_A, IMAGE_B], containers: CONTAINERS });
    const names = dataSheets(workbook).map((s) => s.name);
    expect(names).toEqual(['Images', 'Containers', 'Containers (2)', 'Containers (3)']);
    const names8 = dataSheets(workbook)
      .slice(1)
      .flatMap((sheet) => {
        const [header, ...rows] = sheetValues(sheet);
        expect(header?.[0]).toBe('Container');
        expect(sheet.pageSetup.printTitlesRow).toBe('1:1');
        return rows.map((r) => r[0]);
      });
    expect(names8).toEqual(CONTAINERS.map((c) => c.container.name));
    expect(summary).toMatchObject({ records: 2, delivered: 2, details: { containers: 8 } });
  });

  it('keeps the zip queue under its limit on a Containers sheet written as containers arrive and on one written from its spool', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => container((i % 9) + 1, 'RUNNING', `ns-${i % 40}`, { severity4Count: i % 3 }, IMAGE_A)).map((c, i) => ({
      ...c,
      container: { ...c.container, sha: i.toString(16).padStart(64, '0'), name: `app-${i}` },
    }));
    const queueAfter = async (records: unknown, limit: number) => {
      await newDir();
      const sink = createExcelSink(excelSink.options.parse({ path: 'q.xlsx', records, summary: false }), makeRunContext({ baseDir: dir }), {
        zipQueueLimit: limit,
      });
      await sink.open();
      await sink.write([IMAGE_A]);
      for (let i = 0; i < many.length; i += 1000) await sink.writeContainers?.(many.slice(i, i + 1000));
      await sink.close();
      const sheet = (await readWorkbook(join(dir, 'q.xlsx'))).getWorksheet('Containers') as ExcelJS.Worksheet;
      expect(sheetValues(sheet)).toHaveLength(many.length + 1);
      return sink.backpressure.maxQueuedAfterWait;
    };
    // Unbounded, the queue is found and grows; bounded, it stays under the limit, whichever way the rows reach the sheet.
    for (const records of ['containers', ['images', 'containers']]) {
      expect(await queueAfter(records, Number.POSITIVE_INFINITY), String(records)).toBeGreaterThan(64 * 1024);
      expect(await queueAfter(records, 64 * 1024), String(records)).toBeLessThanOrEqual(64 * 1024);
    }
  });

  it('columns picks the columns of the one sheet it can; a workbook of containers alone has no image columns', async () => {
    const { workbook } = await write({ records: 'containers', columns: ['name', 'kubernetes.namespace', 'created'] }, { containers: CONTAINERS.slice(0, 2) });
    const sheet = dataSheets(workbook)[0] as ExcelJS.Worksheet;
    expect(sheetValues(sheet)).toEqual([
      ['Container', 'Namespace', 'Created'],
      ['app-1', 'payments', new Date('2025-12-01T00:00:00.000Z')],
      ['app-2', 'payments', new Date('2025-12-01T00:00:00.000Z')],
    ]);
    // The run stamp closes every data sheet's rows, as it does the Images sheets'.
    const { workbook: stamped } = await write({ records: ['images', 'containers'], stampRun: true }, { images: [IMAGE_A], containers: CONTAINERS.slice(0, 1) });
    for (const sheet of dataSheets(stamped)) expect(sheetValues(sheet)[0]?.slice(-2), sheet.name).toEqual(['Run ID', 'Exported at']);
  });

  it('refuses the option combinations that cannot work, saying what to do', () => {
    const problems = (o: Record<string, unknown>) =>
      excelSink.options
        .safeParse({ path: 'a.xlsx', ...o })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ');
    expect(problems({ records: ['containers', 'container-findings'], columns: ['name'] })).toMatch(
      /^columns: columns picks the columns of one sheet, and records lists containers and container-findings without images.*leave columns out/,
    );
    expect(problems({ records: 'containers', columns: ['repo'] })).toMatch(/unknown column "repo": a container has no field "repo"/);
    expect(problems({ records: ['images', 'containers'], sheetName: 'containers' })).toMatch(/sheetName "containers" is taken by the Containers sheet/);
    expect(problems({ records: ['images', 'containers', 'software'], columns: ['sha', 'repo'] })).toBeUndefined();
    expect(problems({ records: ['findings', 'packages'] })).toMatch(/a workbook holds findings or packages, not both/);
    expect(problems({ records: [] })).toMatch(/records lists at least one of images, findings, packages, software, containers, container-findings/);
  });

  it('the plugin declares the lists to read, the findings needed and the fixed findings taken, from the listed grains', () => {
    const declared = (o: Record<string, unknown>) => {
      const options = excelSink.options.parse({ path: 'a.xlsx', ...o });
      return {
        grains: excelSink.grains?.(options),
        needsFindings: excelSink.needsFindings?.(options),
        fixed: excelSink.takesFixedFindings?.(options),
        records: excelSink.stateTarget?.(options).records,
      };
    };
    expect(declared({})).toEqual({ grains: ['images'], needsFindings: false, fixed: false, records: 'images' });
    expect(declared({ findings: 'findings' })).toEqual({
      grains: ['images', 'findings'],
      needsFindings: { option: 'findings', setting: 'this sink' },
      fixed: true,
      records: 'images',
    });
    expect(declared({ records: ['containers', 'software'] })).toEqual({
      grains: ['software', 'containers'],
      needsFindings: false,
      fixed: false,
      records: 'software',
    });
    expect(declared({ records: ['containers', 'container-findings'] })).toEqual({
      grains: ['containers', 'container-findings'],
      needsFindings: { option: 'records', setting: 'this sink' },
      fixed: false,
      records: 'containers',
    });
    expect(declared({ records: ['images', 'packages', 'container-findings'] })).toMatchObject({
      grains: ['images', 'packages', 'container-findings'],
      fixed: true,
    });
  });

  it('leaves nothing under the final name and no spool behind when aborted among the container batches', async () => {
    await newDir();
    // The spools go to the system's temporary directory, here one of the test's own, so other test files' spools do not count.
    const spoolDir = await mkdtemp(join(tmpdir(), 'qcs-xlsx-spools-'));
    dirs.push(spoolDir);
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = spoolDir;
    try {
      const sink = excelSink.create(
        excelSink.options.parse({ path: 'gone.xlsx', records: ['images', 'findings', 'software', 'containers', 'container-findings'] }),
        makeRunContext({ baseDir: dir }),
      );
      await sink.open();
      expect((await readdir(spoolDir)).map((name) => name.replace(/-\w+$/, '')).sort()).toEqual([
        'qcs-container-findings',
        'qcs-containers',
        'qcs-findings',
        'qcs-software',
      ]);
      await sink.write([IMAGE_A, IMAGE_B]);
      await sink.writeContainers?.(CONTAINERS);
      await sink.abort(new Error('source failed'));
      expect(await readdir(dir)).toEqual([]);
      expect(await readdir(spoolDir)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
  });
});

/** The Summary sheet as label → value (from `from`, a heading, on), plus the rows of a table after its header. */
function summaryRows(workbook: ExcelJS.Workbook, from?: string) {
  const all = sheetValues(workbook.getWorksheet('Summary') as ExcelJS.Worksheet);
  const rows = from === undefined ? all : all.slice(all.findIndex((r) => r[0] === from));
  const byLabel = new Map(rows.filter((r) => typeof r[0] === 'string').map((r) => [r[0] as string, r] as const));
  return {
    get: (label: string) => byLabel.get(label)?.[1],
    /** The rows of the table whose header row starts with `label`, up to the next empty row. */
    after(label: string): unknown[][] {
      const at = rows.findIndex((r) => r[0] === label);
      const out: unknown[][] = [];
      for (let i = at + 1; i < rows.length && rows[i]?.some((v) => v !== null); i++) out.push(rows[i] as unknown[]);
      return out;
    },
  };
}
