import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageRecord } from '@qcs-export/core';
import { makeRunContext, makeTestRecords } from '@qcs-export/sink-testkit';
import { csvSink } from '../src/index.js';
import { parseRfc4180 } from './rfc4180.js';

/**
 * Regression: a value with a bare LF was written unquoted under CRLF records (and a bare CR under LF records),
 * so Python's csv module, LibreOffice and Excel read an extra row. Every value holding CR, LF, a quote or the
 * delimiter must be quoted whatever the options, so each image is exactly one row for every reader.
 */

// None starts with a formula trigger (= + - @ tab CR), so each cell reads back exactly as written.
const VALUES: readonly string[] = [
  'multi\nline', // LF alone: the reported bug
  'carriage\rreturn', // CR alone
  'windows\r\nline', // CRLF
  '\n', // nothing but a line break
  'trailing\n',
  'two\n\nbreaks',
  'say "hi"',
  'a,b',
  'a;b',
  'all "of",\r\n;them\n\r',
  'team/app', // a control that needs no quoting
];

// Repository, tag and label values come from whoever pushed the image, so each carries the hostile value.
const recordWith = (base: ImageRecord, v: string): ImageRecord => ({
  ...base,
  repo: [
    { registry: 'docker.io', repository: v, tag: 'v1' },
    { registry: 'ghcr.io', repository: 'org/x', tag: v },
  ],
  labels: [
    { key: 'note', value: v },
    { key: 'env', value: 'prod' },
  ],
  scanErrorMessage: v,
});

const COLUMNS = ['sha', 'repo', 'repo.repository', 'repo.tag', { path: 'labels', header: 'Labels\n(key=value)' }, 'scanErrorMessage', 'riskScore'];
const HEADER = ['Image SHA', 'Repositories', 'repo.repository', 'repo.tag', 'Labels\n(key=value)', 'scanErrorMessage', 'Risk Score'];
// Written out by hand rather than through the column code, so the expectation does not share the code under test.
const expectedRow = (r: ImageRecord, v: string): string[] => [
  r.sha,
  `docker.io/${v}:v1; ghcr.io/org/x:${v}`,
  `${v}; org/x`,
  `v1; ${v}`,
  `note=${v}; env=prod`,
  v,
  r.riskScore === null ? '' : String(r.riskScore),
];

const SETTINGS = [
  { name: 'defaults (CRLF, ",")', options: {}, delimiter: ',', recordDelimiter: '\r\n' },
  { name: 'lineEnding lf', options: { lineEnding: 'lf' }, delimiter: ',', recordDelimiter: '\n' },
  { name: 'delimiter ";"', options: { delimiter: ';' }, delimiter: ';', recordDelimiter: '\r\n' },
  { name: 'delimiter ";", lineEnding lf', options: { delimiter: ';', lineEnding: 'lf' }, delimiter: ';', recordDelimiter: '\n' },
] as const;

describe('csv sink: values with line breaks, quotes and delimiters stay in one row', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function write(options: Record<string, unknown>, records: readonly ImageRecord[]): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'qcs-csv-breaks-'));
    const sink = csvSink.create(csvSink.options.parse({ path: 'out.csv', ...options }), makeRunContext({ baseDir: dir }));
    await sink.open();
    // Several batches, so quoting is checked across write() calls too, not only within one stringify call.
    for (let i = 0; i < records.length; i += 4) await sink.write(records.slice(i, i + 4));
    await sink.close();
    return readFile(join(dir, 'out.csv'), 'utf8');
  }

  it.each(SETTINGS)(
    '$name: csv-parse (default options) and a strict RFC 4180 reader both read one row per image',
    async ({ options, delimiter, recordDelimiter }) => {
      const records = makeTestRecords(VALUES.length).map((r, i) => recordWith(r, VALUES[i] as string));
      const expected = [HEADER, ...records.map((r, i) => expectedRow(r, VALUES[i] as string))];
      const text = await write({ ...options, columns: COLUMNS }, records);

      // The BOM is on by default; neither reader is told about it, so it is taken off here, once.
      expect(text.startsWith('\ufeff')).toBe(true);
      const body = text.slice(1);

      const lenient = parse(body, delimiter === ',' ? {} : { delimiter }) as string[][];
      expect(lenient).toHaveLength(records.length + 1);
      expect(lenient).toEqual(expected);

      const strict = parseRfc4180(body, { delimiter, recordDelimiter });
      expect(strict).toHaveLength(records.length + 1);
      expect(strict).toEqual(expected);
    },
  );

  it('quotes a bare LF under CRLF records and a bare CR under LF records', async () => {
    const [base] = makeTestRecords(1);
    const crlf = await write({ columns: ['scanErrorMessage'], bom: false }, [{ ...(base as ImageRecord), scanErrorMessage: 'multi\nline' }]);
    expect(crlf).toBe('scanErrorMessage\r\n"multi\nline"\r\n');
    await rm(dir as string, { recursive: true, force: true });
    const lf = await write({ columns: ['scanErrorMessage'], bom: false, lineEnding: 'lf' }, [{ ...(base as ImageRecord), scanErrorMessage: 'car\rriage' }]);
    expect(lf).toBe('scanErrorMessage\n"car\rriage"\n');
  });

  it('still quotes only where needed: plain values, numbers and empty cells stay bare', async () => {
    const [base] = makeTestRecords(1);
    const r: ImageRecord = { ...(base as ImageRecord), scanErrorMessage: 'plain text', riskScore: 42, operatingSystem: null };
    const text = await write({ columns: ['scanErrorMessage', 'riskScore', 'operatingSystem'], bom: false }, [r]);
    expect(text).toBe('scanErrorMessage,Risk Score,Operating System\r\nplain text,42,\r\n');
  });
});
