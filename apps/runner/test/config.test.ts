import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, sinkPlugins } from '../src/index.js';
import { parse, problems } from './config-support.js';

const live = (extra = '') => `source:
  baseUrl: https://gateway.qg1.apps.qualys.com
  auth:
    username: \${QUALYS_USERNAME}
    password: \${QUALYS_PASSWORD}
${extra}sinks:
  - type: jsonl
    path: out/x.jsonl
`;

describe('config: ${VAR} interpolation', () => {
  it('replaces ${VAR}, ${VAR:-default} and the $${ escape in values', () => {
    const c = parse(
      `source:
  baseUrl: \${QCS_URL:-https://gateway.qg2.apps.qualys.com}
  auth: { username: "\${U}", password: "p-\${P}-$\${LITERAL}" }
  filter: "\${F:-imagesInUse:'[now-7d ... now]'}"
sinks: [{ type: jsonl, path: "\${OUT}/a.jsonl" }]
`,
      { U: 'alice', P: 'x&y=z', OUT: '/tmp/o' },
    );
    expect(c.source).toMatchObject({
      baseUrl: 'https://gateway.qg2.apps.qualys.com',
      auth: { username: 'alice', password: 'p-x&y=z-${LITERAL}' },
      filter: "imagesInUse:'[now-7d ... now]'",
    });
    expect(c.sinks[0]?.options).toMatchObject({ path: '/tmp/o/a.jsonl' });
  });

  it('does not let a value from the environment add YAML structure', () => {
    const c = parse(live(), { QUALYS_USERNAME: 'bob', QUALYS_PASSWORD: 'a\nsinks: []\n#' });
    expect(c.sinks).toHaveLength(1);
    expect(c.source).toMatchObject({ auth: { password: 'a\nsinks: []\n#' } });
  });

  it('names every missing variable with its line, column and key path', () => {
    const msg = problems(live());
    expect(msg).toContain('cfg.yaml:4:15 source.auth.username: QUALYS_USERNAME is not set');
    expect(msg).toContain('cfg.yaml:5:15 source.auth.password: QUALYS_PASSWORD is not set');
  });

  it('uses the ${VAR:?message} text', () => {
    expect(problems(live().replace('${QUALYS_PASSWORD}', '${QUALYS_PASSWORD:?put the API password in QUALYS_PASSWORD}'), { QUALYS_USERNAME: 'u' })).toContain(
      'QUALYS_PASSWORD is not set: put the API password in QUALYS_PASSWORD',
    );
  });
});

describe('config: ${file:PATH} secrets', () => {
  it('reads a secret from a file, without its final line break, relative to the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qcs-secret-'));
    try {
      writeFileSync(join(dir, 'qualys-password'), 's3cr3t with spaces\n');
      writeFileSync(join(dir, 'es-key'), 'aWQ6a2V5');
      const text =
        `${live().replace('${QUALYS_PASSWORD}', '${file:qualys-password}')}  - type: elasticsearch\n    node: https://es.example\n    index: images\n` +
        `    auth: { apiKey: "\${file:${join(dir, 'es-key')}}" }\n`;
      const c = parseConfig(text, join(dir, 'cfg.yaml'), sinkPlugins, { QUALYS_USERNAME: 'u' });
      expect(c.source).toMatchObject({ auth: { password: 's3cr3t with spaces' } });
      expect(c.sinks[1]?.options).toMatchObject({ auth: { apiKey: 'aWQ6a2V5' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a secret file it cannot read, with the line, and never an empty one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qcs-secret-'));
    try {
      writeFileSync(join(dir, 'empty'), '\n');
      const missing = () => parseConfig(live().replace('${QUALYS_PASSWORD}', '${file:nope}'), join(dir, 'cfg.yaml'), sinkPlugins, { QUALYS_USERNAME: 'u' });
      expect(missing).toThrow(/cfg\.yaml:5:15 source\.auth\.password: cannot read the secret file .*nope: ENOENT/);
      const empty = () => parseConfig(live().replace('${QUALYS_PASSWORD}', '${file:empty}'), join(dir, 'cfg.yaml'), sinkPlugins, { QUALYS_USERNAME: 'u' });
      expect(empty).toThrow(/empty is empty; put the secret in it/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('config: validation errors give file:line:col and path', () => {
  const env = { QUALYS_USERNAME: 'u', QUALYS_PASSWORD: 'p' };
  it('pageSize 0 and 5000 name the valid range', () => {
    expect(problems(live('  pageSize: 0\n'), env)).toMatch(/cfg\.yaml:6:\d+ source\.pageSize: pageSize must be a whole number from 1 to 1000/);
    expect(problems(live('  pageSize: 5000\n'), env)).toMatch(/source\.pageSize: pageSize must be a whole number from 1 to 1000/);
    expect(problems(live('  strategy: bulk\n  pageSize: 500\n'), env)).toMatch(/1 to 250 \(bulk strategy\); got 500/);
  });

  it('an unknown sink type lists the known ones', () => {
    expect(problems(live().replace('type: jsonl', 'type: parquet'), env)).toMatch(
      /cfg\.yaml:7:\d+ sinks\[0\]\.type: unknown sink type "parquet"; known types: jsonl, csv/,
    );
  });

  it('unknown keys are errors, at every level', () => {
    const msg = problems(`${live('  pagesize: 10\n').replace('path: out/x.jsonl', 'path: out/x.jsonl\n    compress: yes')}extra: 1\n`, env);
    expect(msg).toMatch(/source: Unrecognized key: "pagesize"/);
    expect(msg).toMatch(/sinks\[0\]: Unrecognized key: "compress"/);
    expect(msg).toMatch(/extra: unknown key "extra"/);
  });

  it('malformed YAML reports the line', () => {
    expect(problems('source:\n  baseUrl: [unclosed\nsinks: []\n')).toMatch(/not valid YAML:\n\s+cfg\.yaml:\d+:\d+: /);
  });

  it('refuses http:// to a non-loopback host, accepts it for 127.0.0.1', () => {
    expect(() => parse(live().replace('https://gateway.qg1.apps.qualys.com', 'http://gateway.qg1.apps.qualys.com'), env)).toThrow(
      /source\.baseUrl: .*plain http:\/\/ to gateway\.qg1\.apps\.qualys\.com/,
    );
    expect(() => parse(live().replace('https://gateway.qg1.apps.qualys.com', 'http://127.0.0.1:8089'), env)).not.toThrow();
  });

  it('plain http:// alone is the documented QCS_INSECURE_URL, naming the setting once (issue 22)', () => {
    let error: unknown;
    try {
      parse(live().replace('https://gateway.qg1.apps.qualys.com', 'http://example.com'), env);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'QCS_INSECURE_URL' });
    const message = (error as Error).message;
    expect(message).toMatch(/source\.baseUrl: uses plain http:\/\/ to example\.com/);
    expect(message.match(/source\.baseUrl/g)).toHaveLength(1);
  });

  it('accepts the token and basic auth forms and the embedded simulator', () => {
    expect(parse(live().replace(/ {2}auth:\n.*\n.*\n/, '  auth: { token: abc.def.ghi }\n'), env).source).toMatchObject({ auth: { token: 'abc.def.ghi' } });
    expect(parse(live().replace(/ {2}auth:\n.*\n.*\n/, '  auth: { basic: { username: a, password: b } }\n'), env).source).toMatchObject({
      auth: { basic: { username: 'a' } },
    });
    expect(parse('source: { simulator: { images: 10 } }\nsinks: [{ type: jsonl, path: "-" }]\n').source).toMatchObject({ simulator: { images: 10, seed: 1 } });
  });
});
