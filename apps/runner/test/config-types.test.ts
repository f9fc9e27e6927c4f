import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { coerceInterpolated } from '../src/config/coerce.js';
import { parseConfig, sinkPlugins } from '../src/index.js';
import { parse, problems } from './config-support.js';

// ${VAR} is replaced after YAML parsing, so its result is always text; these check that it is then read as the
// type the schema wants at that key, and that a value written literally keeps the strict check.

const simulator = (source: string, sink = '  - type: jsonl\n    path: out.jsonl\n') => `source:\n${source}sinks:\n${sink}`;

describe('config: an interpolated value takes the type the schema expects', () => {
  it('reads pageSize, images and booleans from ${VAR} and ${VAR:-default} as numbers and booleans', () => {
    const c = parse(
      simulator(
        '  simulator:\n    images: ${N:-10}\n    seed: ${SEED}\n  pageSize: ${PS:-100}\n',
        '  - type: csv\n    path: out.csv\n    bom: ${BOM:-false}\n    header: ${HEADER}\n',
      ),
      {
        SEED: '7',
        HEADER: 'TRUE',
      },
    );
    expect(c.source).toMatchObject({ simulator: { images: 10, seed: 7 }, pageSize: 100 });
    expect(c.sinks[0]?.options).toMatchObject({ bom: false, header: true });
  });

  it('parses a bare ${VAR} as a whole value, also inside a flow mapping or list', () => {
    const c = parse('source: { simulator: { images: ${N:-10}, seed: ${SEED} } }\nsinks: [{ type: jsonl, path: ${OUT}, fileMode: ${MODE:-0o640} }]\n', {
      OUT: '/tmp/a, b: c}.jsonl',
      SEED: '3',
    });
    expect(c.source).toMatchObject({ simulator: { images: 10, seed: 3 } });
    // The value's comma, colon and brace stay text: they were substituted after parsing.
    expect(c.sinks[0]?.options).toMatchObject({ path: '/tmp/a, b: c}.jsonl', fileMode: 0o640 });
  });

  it('converts an alias of an interpolated value too, and reports a missing one once', () => {
    const text = simulator('  simulator: { images: &n ${N:-10}, seed: *n }\n  pageSize: &p ${PS}\n  prefetch: *p\n');
    expect(parse(text, { PS: '3' }).source).toMatchObject({ simulator: { images: 10, seed: 10 }, pageSize: 3, prefetch: 3 });
    const msg = problems(text);
    expect(msg).toContain('the config has 1 problem:');
    expect(msg).toContain('cfg.yaml:3:16 source.pageSize: PS is not set; export it, or write ${PS:-default}; also used at source.prefetch (line 4)');
  });

  it('keeps the $${ escape and defaults with flow characters inside a flow mapping', () => {
    const c = parse('source: { simulator: {}, filter: ${F:-a, [b]: c #d} }\nsinks: [{ type: jsonl, path: "$${HOME}" }]\n');
    expect(c.source).toMatchObject({ filter: 'a, [b]: c #d' });
    expect(c.sinks[0]?.options).toMatchObject({ path: '${HOME}' });
  });

  it('names the variable, its value and the expected type when the value cannot be converted', () => {
    const msg = problems(simulator('  simulator: {}\n  pageSize: ${PS}\n', '  - type: csv\n    path: out.csv\n    bom: ${BOM:-no}\n'), { PS: 'abc' });
    expect(msg).toContain('cfg.yaml:3:13 source.pageSize: PS is "abc", not a whole number');
    expect(msg).toContain('sinks[0].bom: BOM is not set and its default "no" is not true or false');
    expect(msg).toContain('the config has 2 problems');
    expect(problems(simulator('  simulator: {}\n  pageSize: ${PS}\n'), { PS: '1.5' })).toContain('source.pageSize: PS is "1.5", not a whole number');
  });

  it('keeps the schema range check on a converted value', () => {
    expect(problems(simulator('  simulator: {}\n  pageSize: ${PS}\n'), { PS: '5000' })).toMatch(
      /source\.pageSize: pageSize must be a whole number from 1 to 1000.* \(the value comes from PS\)/,
    );
  });

  it('still refuses a number or boolean written literally as a quoted string', () => {
    expect(problems(simulator('  simulator: {}\n  pageSize: "100"\n'))).toMatch(/source\.pageSize: pageSize must be a whole number/);
    expect(problems(simulator('  simulator: {}\n', '  - type: csv\n    path: out.csv\n    bom: "false"\n'))).toMatch(
      /sinks\[0\]\.bom: expected true or false, got the text "false"/,
    );
  });
});

describe('config: a value that cannot be converted is named, never shown when it may be a secret', () => {
  it('does not show a value under an auth, password, token or apiKey key, nor one read from a secret file', () => {
    const schema = z.strictObject({ auth: z.strictObject({ port: z.number() }), retries: z.number().int(), token: z.boolean() });
    const value = { auth: { port: 'hunter2' }, retries: 'from-file-secret', token: 'tok-123' };
    const problems = coerceInterpolated(
      schema,
      value,
      ['source'],
      [
        {
          path: ['source', 'auth', 'port'],
          offset: 0,
          template: '${P}',
          value: 'hunter2',
          sources: [{ kind: 'env', name: 'P', used: 'env' }],
          sensitive: true,
        },
        {
          path: ['source', 'retries'],
          offset: 0,
          template: '${file:/run/x}',
          value: 'from-file-secret',
          sources: [{ kind: 'file', path: '/run/x' }],
          sensitive: true,
        },
        {
          path: ['source', 'token'],
          offset: 0,
          template: '${T:-tok-123}',
          value: 'tok-123',
          sources: [{ kind: 'env', name: 'T', used: 'default' }],
          sensitive: true,
        },
      ],
      () => false,
    );
    expect(problems.map((p) => p.message)).toEqual([
      'P is not a number',
      'the secret file /run/x does not hold a whole number',
      'T is not set and its default is not true or false',
    ]);
  });

  it('names the secret file, not its content, for a number read from it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qcs-secret-'));
    try {
      writeFileSync(join(dir, 'size'), 'not-a-number-s3cret\n');
      const text = simulator('  simulator: {}\n  pageSize: ${file:size}\n');
      let msg = '';
      try {
        parseConfig(text, join(dir, 'cfg.yaml'), sinkPlugins, {});
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toContain(`source.pageSize: the secret file ${join(dir, 'size')} does not hold a whole number`);
      expect(msg).not.toContain('s3cret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
