import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startElasticsearchTestServer } from '@qcs-export/elasticsearch-testserver';
import { PASSWORD, useCliHarness } from './support.js';

// validate --json and run --dry-run: the plan of a run before it runs (issue 22).
const h = useCliHarness();
const env = { QUALYS_PASSWORD: PASSWORD, ES_PASSWORD: 'es-secret-Pw1' };

const config = (qualys: string, es: string) => `source:
  baseUrl: ${qualys}
  auth: { username: auditor, password: \${QUALYS_PASSWORD} }
  filter: "imagesInUse:'[now-7d ... now]'"
  strategy: bulk
  vulnerabilities: { from: vuln }
sinks:
  - type: jsonl
    path: out/images-{date}.jsonl.gz
  - type: csv
    name: audit findings
    path: ~/reports/findings.csv
    records: findings
  - type: elasticsearch
    node: ${es}
    auth: { username: elastic, password: \${ES_PASSWORD} }
    records: containers
    dataStream: true
run:
  manifest: out/manifest-{date}.json
`;

const today = new Date().toISOString().slice(0, 10);

describe('the plan of a run, before it runs (issue 22)', () => {
  it('validate --json resolves the gateway, the filter, each sink and every path, and names no secret', async () => {
    const es = await startElasticsearchTestServer({ auth: { username: 'elastic', password: env.ES_PASSWORD } });
    try {
      const s = await h.simulator({ images: 10 });
      const home = join(h.dir, 'home');
      const r = await h.cli(['validate', '--json', '-c', await h.config(config(s.url, es.url))], { ...env, HOME: home });
      expect(r.code, r.stderr).toBe(0);
      const plan = JSON.parse(r.stdout);
      expect(plan).toMatchObject({
        exitCode: 0,
        config: { file: join(h.dir, 'config.yaml') },
        source: {
          qualys: s.url,
          auth: 'jwt',
          filter: "imagesInUse:'[now-7d ... now]'",
          strategy: 'bulk',
          pageSize: 250,
          containers: { filter: 'state:RUNNING', strategy: 'auto', pageSize: 1000 },
          vulnerabilities: { from: 'vuln', includeClean: false, exceptionDetails: true },
        },
        reads: { images: true, containers: true, software: false },
        state: null,
        manifest: join(h.dir, `out/manifest-${today}.json`),
        compareTo: null,
        warnings: [],
      });
      expect(plan.sinks).toEqual([
        {
          name: 'jsonl',
          type: 'jsonl',
          records: ['images'],
          commit: 'atomic',
          destination: { path: join(h.dir, `out/images-${today}.jsonl.gz`), gzip: true },
        },
        { name: 'audit findings', type: 'csv', records: ['findings'], commit: 'atomic', destination: { path: join(home, 'reports/findings.csv') } },
        {
          name: 'elasticsearch',
          type: 'elasticsearch',
          records: ['containers'],
          commit: 'in-place',
          destination: {
            nodes: [es.url],
            dataStream: 'logs-qualys_cs.container-default',
            deadLetters: expect.stringMatching(new RegExp(`^${h.dir}/elasticsearch-rejected-logs-qualys_cs\\.container-default-`)),
          },
        },
      ]);
      expect(r.stdout).not.toContain(PASSWORD);
      expect(r.stdout).not.toContain(env.ES_PASSWORD);
      // A plan asks Qualys nothing, and the cluster only whether it answers.
      expect(s.requests).toHaveLength(0);
      expect(es.requests.every((q) => q.method === 'GET' || q.method === 'HEAD')).toBe(true);
    } finally {
      await es.close();
    }
  });

  it('run --dry-run prints the same plan with the flags of the run, and reads and writes nothing', async () => {
    const es = await startElasticsearchTestServer({ auth: { username: 'elastic', password: env.ES_PASSWORD } });
    try {
      const s = await h.simulator({ images: 10 });
      const file = await h.config(config(s.url, es.url));
      const validate = JSON.parse((await h.cli(['validate', '--json', '-c', file], env)).stdout);
      const dry = await h.cli(['run', '--dry-run', '--json', '-c', file, '--manifest', 'm/run.json'], env);
      expect(dry.code, dry.stderr).toBe(0);
      const plan = JSON.parse(dry.stdout);
      expect(plan).toEqual({ ...validate, dryRun: true, manifest: join(h.dir, 'm/run.json') });
      // A --state the sinks cannot take is refused as the run would refuse it: here, a container grain.
      const stated = await h.cli(['run', '--dry-run', '-c', file, '--state', 'state.json'], env);
      expect(stated.code).toBe(2);
      expect(stated.stderr).toContain('these sinks cannot run with a state (--state):');
      const text = await h.cli(['run', '--dry-run', '-c', file], env);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(`plan of ${file}`);
      expect(text.stdout).toContain(`  source     ${s.url}, auth jwt`);
      expect(text.stdout).toContain(`  images     imagesInUse:'[now-7d ... now]'; strategy bulk, 250 a page`);
      expect(text.stdout).toContain(`  sink       "audit findings" (csv): findings → path `);
      expect(text.stdout).toContain('  state      none: a full run');
      expect(text.stdout).toContain(`  manifest   ${join(h.dir, `out/manifest-${today}.json`)}`);
      expect(text.stdout).toMatch(/dry run: nothing was read or written\n$/);
      expect(s.requests).toHaveLength(0);
      expect(es.requests.every((q) => q.method === 'GET' || q.method === 'HEAD')).toBe(true);
      expect(readdirSync(h.dir).sort()).toEqual(['config.yaml']);
    } finally {
      await es.close();
    }
  });

  it('a platform, the simulator and stdout show as such; a bad config fails the plan as it fails the run', async () => {
    const live = await h.config(`source:
  platform: EU2
  auth: { token: t0ken-value }
sinks:
  - type: jsonl
    path: "-"
`);
    const r = await h.cli(['validate', '--json', '-c', live]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      source: { qualys: 'https://gateway.qg2.apps.qualys.eu', platform: 'EU2', auth: 'token' },
      sinks: [{ commit: 'in-place', destination: { stdout: true } }],
    });
    expect(r.stdout).not.toContain('t0ken-value');
    const sim = await h.config('source:\n  simulator: { images: 5 }\nsinks:\n  - type: csv\n    path: /proc/qcs-plan/x.csv\n');
    const bad = await h.cli(['run', '--dry-run', '--json', '-c', sim]);
    expect(bad.code).not.toBe(0);
    expect(JSON.parse(bad.stdout)).toMatchObject({ exitCode: bad.code, error: { code: 'QCS_OUTPUT_UNWRITABLE' } });
    expect(existsSync(join(h.dir, 'out'))).toBe(false);
  });

  it("shows what the state plans for the next run, full or since when, and fails as the run would on another filter's state", async () => {
    const body = (filter: string) => `source:
  simulator: { images: 20 }
  filter: "${filter}"
sinks:
  - type: jsonl
    path: out/images-{datetime}.jsonl
run:
  state: state/qcs.json
`;
    const file = await h.config(body('vulnerabilities.severity:5'));
    const first = JSON.parse((await h.cli(['validate', '--json', '-c', file])).stdout);
    expect(first.state).toEqual({ path: join(h.dir, 'state/qcs.json'), next: 'full', reason: `no state yet at ${join(h.dir, 'state/qcs.json')}` });
    const run = await h.cli(['run', '-q', '-c', file]);
    expect(run.code, run.stderr).toBe(0);
    const next = await h.cli(['run', '--dry-run', '-c', file]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(new RegExp(`  state      ${join(h.dir, 'state/qcs.json')} \\(incremental: since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)`));
    const refresh = JSON.parse((await h.cli(['run', '--dry-run', '--json', '--full-refresh', '-c', file])).stdout);
    expect(refresh.state).toMatchObject({ next: 'full', reason: '--full-refresh' });
    // The same state under another filter: the run would refuse it, so the plan does, with the same code.
    const other = await h.config(body('vulnerabilities.severity:4'));
    const refused = await h.cli(['validate', '-c', other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error [QCS_STATE_INVALID]: the state');
    expect(refused.stderr).toContain('another source.filter');
  });
});
