import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { startElasticsearchTestServer } from '@qcs-export/elasticsearch-testserver';
import { liveConfig, PASSWORD, shasOf, untilHeld, useCliHarness } from './support.js';

const h = useCliHarness();
const { cli, simulator, config } = h;

describe('qcs-export run (the built CLI against the simulator over loopback)', () => {
  it('exports every image exactly once, exit 0, with a summary (the binary, as a process of its own)', async () => {
    const s = await simulator();
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n'));
    const r = await h.cliProcess(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.stderr).toMatch(/exported 3,000 images/);
    expect(r.code).toBe(0);
    const shas = shasOf(await readFile(join(h.dir, 'out/images.jsonl'), 'utf8'));
    expect(shas).toHaveLength(3000);
    expect(new Set(shas)).toEqual(new Set(s.images().map((i) => i.sha)));
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
  });

  it('--json prints the run summary as JSON on stdout', async () => {
    const s = await simulator({ images: 300 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: a.jsonl\n'));
    const r = await cli(['run', '-c', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { records: number; sinks: Array<{ type: string; records: number }> };
    expect(summary.records).toBe(300);
    expect(summary.sinks[0]).toMatchObject({ type: 'jsonl', records: 300 });
  });

  it('a wrong password exits 4 with an actionable message, writes no file and never prints the password', async () => {
    const s = await simulator({ images: 50 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: out/images.jsonl\n'));
    const r = await cli(['run', '--config', file], { QUALYS_PASSWORD: 'wr0ng&=+pw' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/error \[QCS_AUTH_FAILED\]: Qualys refused the username\/password \(401/);
    expect(r.stderr).not.toContain('wr0ng');
    expect(await readdir(h.dir)).toEqual(['config.yaml']);
  });

  it('a token the server refuses exits 4 and the token appears nowhere', async () => {
    const s = await simulator({ images: 50 });
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ';
    const file = await config(
      liveConfig(s.url, '  - type: jsonl\n    path: o.jsonl\n').replace(/ {2}auth:\n.*\n.*\n/, '  auth:\n    token: ${QUALYS_TOKEN}\n'),
    );
    const r = await cli(['run', '--config', file], { QUALYS_TOKEN: token });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/token may have expired/);
    expect(r.stderr + r.stdout).not.toContain('c2VjcmV0');
  });

  it('a filter the server rejects exits 2 with the server message', async () => {
    const s = await simulator({ images: 50 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: o.jsonl\n', '  filter: "nosuchfield:1"\n'));
    const r = await cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/QCS_FILTER_REJECTED.*unknown token "nosuchfield".*Check source.filter/);
    expect(await readdir(h.dir)).toEqual(['config.yaml']);
  });

  it('an unwritable output path exits 2 and leaves no other sink output', async () => {
    const s = await simulator({ images: 50 });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: good/a.jsonl\n  - type: jsonl\n    path: /etc/hostname/b.jsonl\n'));
    const r = await cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/QCS_OUTPUT_UNWRITABLE.*\/etc\/hostname\/b\.jsonl/);
    expect(await readdir(join(h.dir, 'good')).catch(() => [])).toEqual([]);
  });

  it('a source failure mid-run exits 1 and removes every partial file', async () => {
    // 24 pages; the 17th request waits until the test has seen the partial files and made the server fail.
    const s = await simulator({ images: 6000 });
    s.hold(16);
    const file = await config(
      liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n  - type: jsonl\n    path: out/b.jsonl.gz\n', '  retries: 1\n  concurrency: 1\n'),
    );
    let partial: string[] = [];
    const r = await cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD }, (child) => {
      void untilHeld(s, child).then(async (held) => {
        if (!held) return;
        partial = await readdir(join(h.dir, 'out'));
        s.inject({ kind: 'status', status: 503, count: 1000 });
        s.release();
      });
    });
    expect(partial).toHaveLength(2);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/QCS_HTTP_ERROR.*503/);
    expect(await readdir(join(h.dir, 'out'))).toEqual([]);
  });

  it('a server that drops the connection mid-body is retried and the export still completes', async () => {
    const s = await simulator({ images: 2000, faults: [{ kind: 'truncate', count: 2 }, { kind: 'drop' }, { kind: 'garbage' }] });
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: a.jsonl\n'));
    const r = await cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/retries 4/);
    expect(new Set(shasOf(await readFile(join(h.dir, 'a.jsonl'), 'utf8'))).size).toBe(2000);
  });

  it('SIGINT mid-run exits 130 and leaves no file', async () => {
    // The 7th request waits: the run is mid-crawl, its partial file open, when the signal comes.
    const s = await simulator();
    s.hold(6);
    const file = await config(liveConfig(s.url, '  - type: jsonl\n    path: out/a.jsonl\n', '  concurrency: 1\n'));
    let partial: string[] = [];
    const r = await cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD }, (child) => {
      void untilHeld(s, child).then(async (held) => {
        if (!held) return;
        partial = await readdir(join(h.dir, 'out'));
        child.kill('SIGINT');
      });
    });
    expect(partial).toHaveLength(1);
    expect(r.code).toBe(130);
    expect(await readdir(join(h.dir, 'out')).catch(() => [])).toEqual([]);
  });

  it('the embedded simulator source needs no credentials, and every sink gets the same images', async () => {
    const file = await config(
      'source:\n  simulator: { images: 1500, updatesPerCall: 3 }\nsinks:\n  - type: jsonl\n    path: demo.jsonl\n' +
        '  - type: csv\n    path: demo.csv\n    columns: [sha]\n  - type: excel\n    path: demo.xlsx\n    columns: [sha]\n    rowsPerSheet: 1000\n',
    );
    const r = await cli(['run', '--config', file]);
    expect(r.code).toBe(0);
    // Nothing goes to Qualys, and the log does not claim otherwise.
    expect(r.stderr).toMatch(/starting the embedded Qualys simulator/);
    expect(r.stderr).not.toMatch(/connecting to Qualys/);
    // Sinks are named by their destination, so two of one type could be told apart.
    expect(r.stderr).toMatch(/finishing jsonl demo\.jsonl, csv demo\.csv, excel demo\.xlsx…/);
    const shas = shasOf(await readFile(join(h.dir, 'demo.jsonl'), 'utf8'));
    expect(new Set(shas).size).toBe(1500);
    expect(shas).toHaveLength(1500);
    const csvShas = (await readFile(join(h.dir, 'demo.csv'), 'utf8'))
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n')
      .slice(1);
    expect(csvShas).toEqual(shas);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(join(h.dir, 'demo.xlsx'));
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['Images', 'Images (2)', 'Summary']);
    const xlsxShas = workbook.worksheets.slice(0, 2).flatMap((s) => (s.getColumn(1).values as unknown[]).slice(2));
    expect(xlsxShas).toEqual(shas);
    expect(r.stderr).toMatch(/excel .*demo\.xlsx.* 1,?500/);
  });
});

describe('qcs-export run into Elasticsearch (the built CLI against the simulator and the ES test server)', () => {
  it('with --json, a run that exits 3 prints one JSON document carrying the error, and the error line on stderr', async () => {
    const es = await startElasticsearchTestServer();
    try {
      const s = await simulator({ images: 100 });
      es.inject({ kind: 'item-429', count: 3 });
      const file = await config(
        liveConfig(
          s.url,
          `  - type: elasticsearch\n    node: ${es.url}\n    index: qualys-images\n    maxRetries: 0\n    deadLetterPath: out/rejected.ndjson\n`,
        ),
      );
      const r = await cli(['run', '--config', file, '--json'], { QUALYS_PASSWORD: PASSWORD });
      expect(r.code).toBe(3);
      const outcome = JSON.parse(r.stdout) as { exitCode: number; rejected: number; error: { code: string } };
      expect(outcome).toMatchObject({ exitCode: 3, rejected: 3, error: { code: 'QCS_RECORDS_REJECTED' } });
      expect(r.stderr).toMatch(/error \[QCS_RECORDS_REJECTED\]/);
    } finally {
      await es.close();
    }
  });

  it('exits 3 when documents are rejected, names the dead-letter file, and writes every other image', async () => {
    const es = await startElasticsearchTestServer();
    try {
      const s = await simulator({ images: 500 });
      es.inject({ kind: 'item-429', count: 7 });
      const file = await config(
        liveConfig(
          s.url,
          `  - type: elasticsearch\n    node: ${es.url}\n    index: qualys-images\n    maxRetries: 0\n    deadLetterPath: out/rejected.ndjson\n`,
        ),
      );
      const r = await cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/elasticsearch .*qualys-images: 493 records/);
      expect(r.stderr).toMatch(/493 records, 7 REJECTED/);
      expect(r.stderr).toMatch(/rejected\.ndjson/);
      expect(r.stderr).toMatch(/error \[QCS_RECORDS_REJECTED\]/);
      const letters = (await readFile(join(h.dir, 'out/rejected.ndjson'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { status: number; document: { sha: string } });
      expect(letters).toHaveLength(7);
      expect(letters.every((l) => l.status === 429)).toBe(true);
      const stored = new Set(es.documents('qualys-images').keys());
      expect(stored.size).toBe(493);
      expect(new Set([...stored, ...letters.map((l) => l.document.sha)])).toEqual(new Set(s.images().map((i) => i.sha)));
    } finally {
      await es.close();
    }
  });

  it('exits 4 when Elasticsearch refuses the API key, before writing anything, and never prints the key', async () => {
    const es = await startElasticsearchTestServer({ auth: { apiKey: 'the-right-key' } });
    try {
      const s = await simulator({ images: 50 });
      const sinks =
        '  - type: jsonl\n    path: out/x.jsonl\n' +
        `  - type: elasticsearch\n    node: ${es.url}\n    index: qualys-images\n    auth:\n      apiKey: \${ES_API_KEY}\n`;
      const file = await config(liveConfig(s.url, sinks));
      const r = await cli(['run', '--config', file], { QUALYS_PASSWORD: PASSWORD, ES_API_KEY: 'wrong-key-s3cr3t' });
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/error \[QCS_AUTH_FAILED\]: Elasticsearch at http:\/\/127\.0\.0\.1:\d+ refused the credentials/);
      expect(r.stderr + r.stdout).not.toContain('wrong-key-s3cr3t');
      expect(await readdir(join(h.dir, 'out')).catch(() => [])).toEqual([]);
      expect(es.indices()).toEqual([]);
    } finally {
      await es.close();
    }
  });
});

describe('qcs-export validate, usage and config errors', () => {
  it('validate accepts a good config and writes nothing', async () => {
    const file = await config(liveConfig('https://gateway.qg1.apps.qualys.com', '  - type: jsonl\n    path: out/x.jsonl\n'));
    const r = await cli(['validate', '--config', file], { QUALYS_PASSWORD: 'x' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/config OK: .* https:\/\/gateway\.qg1\.apps\.qualys\.com → 1 sink \(jsonl\)/);
    // it checks that out/ could be created, but does not create it (issue 9, point 6)
    expect(await readdir(h.dir)).toEqual(['config.yaml']);
  });

  it('a missing environment variable exits 2 naming it, with line and path', async () => {
    const file = await config(liveConfig('https://gateway.qg1.apps.qualys.com', '  - type: jsonl\n    path: x.jsonl\n'));
    const r = await cli(['validate', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\.yaml:5:15 source\.auth\.password: QUALYS_PASSWORD is not set/);
  });

  it('http:// to a remote host, pageSize 5000 and an unknown sink type are all reported, exit 2', async () => {
    const file = await config(
      liveConfig('http://gateway.qg1.apps.qualys.com', '  - type: csvv\n    path: x\n', '  pageSize: 5000\n').replace('  pageSize: 250\n', ''),
    );
    const r = await cli(['run', '--config', file], { QUALYS_PASSWORD: 'x' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/3 problems/);
    expect(r.stderr).toMatch(/plain http:\/\//);
    expect(r.stderr).toMatch(/from 1 to 1000/);
    expect(r.stderr).toMatch(/unknown sink type "csvv"/);
  });

  it('an unknown command or flag exits 2 with a pointer to --help', async () => {
    expect((await cli(['export'])).code).toBe(2);
    const r = await cli(['run', '--cfg', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--help/);
  });

  it('schema prints a JSON Schema naming the sink types', async () => {
    const r = await cli(['schema']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"jsonl"');
    expect(JSON.parse(r.stdout)).toHaveProperty('properties.sinks');
  });
});
