import { describe, expect, it } from 'vitest';
import { problems } from './config-support.js';

// The validator's own wording ("Invalid input: expected string, received undefined") is not for users: every
// message is a plain sentence, at the line of the key it is about, and never shows a secret.
const env = { QUALYS_USERNAME: 'u', QUALYS_PASSWORD: 'p' };
const live = (extra = '', sink = '') => `source:
  baseUrl: https://gateway.qg1.apps.qualys.com
  auth:
    username: \${QUALYS_USERNAME}
    password: \${QUALYS_PASSWORD}
${extra}sinks:
  - type: jsonl
    path: out/x.jsonl
${sink}`;
const ZOD_WORDING = /Invalid input|Invalid option|Too big|Too small|expected string|received/;

describe('config: plain messages', () => {
  it('a missing required key says it is required', () => {
    const msg = problems(live().replace('    password: ${QUALYS_PASSWORD}\n', ''), env);
    expect(msg).toContain('source.auth.password: password is required');
    expect(msg).not.toMatch(ZOD_WORDING);
  });

  it('a wrong type says what was expected and what was found', () => {
    const msg = problems(live('  prefetch: two\n  strategy: fast\n', '    gzipLevel: [1]\n'), env);
    expect(msg).toContain('source.prefetch: expected a whole number, got the text "two"');
    expect(msg).toContain('source.strategy: must be one of auto, pages, images, bulk; got "fast"');
    expect(msg).toContain('sinks[0].gzipLevel: expected a whole number, got a list');
    expect(msg).not.toMatch(ZOD_WORDING);
  });

  it('out of range says at most or at least', () => {
    const msg = problems(live('  prefetch: 0\n  concurrency: 17\n', '    gzipLevel: 1.5\n'), env);
    expect(msg).toContain('source.prefetch: must be at least 1');
    expect(msg).toContain('source.concurrency: must be at most 16');
    expect(msg).toContain('sinks[0].gzipLevel: expected a whole number, got 1.5');
    expect(msg).not.toMatch(ZOD_WORDING);
  });

  it('fileMode 0640, read by YAML as decimal 640, explains how to write an octal mode', () => {
    const msg = problems(live('', '    fileMode: 0640\n'), env);
    expect(msg).toMatch(/cfg\.yaml:9:15 sinks\[0\]\.fileMode: .*640.*write it as 0o640.*decimal 416/);
    expect(msg).not.toMatch(ZOD_WORDING);
  });

  it('never shows a secret value in a type error', () => {
    const msg = problems(live().replace('password: ${QUALYS_PASSWORD}', 'password: 98765432'), env);
    expect(msg).toContain('source.auth.password: expected text, got a number');
    expect(msg).not.toContain('98765432');
    const es = problems(live('', '  - type: elasticsearch\n    node: https://es.example\n    index: images\n    auth: { apiKey: 55554444 }\n'), env);
    expect(es).toContain('sinks[1].auth.apiKey: expected text, got a number');
    expect(es).not.toContain('55554444');
    expect(es).not.toMatch(ZOD_WORDING);
    // Inside a union zod's own path stops at the branch ("username"); the value is still known to sit under auth.
    const basic = problems(
      live('', '  - type: elasticsearch\n    node: https://es.example\n    index: images\n    auth: { username: 13572468, password: x }\n'),
      env,
    );
    expect(basic).toContain('sinks[1].auth.username: expected text, got a number');
    expect(basic).not.toContain('13572468');
  });
});

describe('config: an unknown key is reported at its own line', () => {
  it('in the source, in a sink and at the top level', () => {
    const msg = problems(`${live('  filter: x\n  pagesize: 10\n', '    compress: yes\n')}extra: 1\n`, env);
    expect(msg).toMatch(/cfg\.yaml:7:3 source: Unrecognized key: "pagesize"; did you mean "pageSize"\?/);
    expect(msg).toMatch(/cfg\.yaml:11:5 sinks\[0\]: Unrecognized key: "compress"/);
    expect(msg).toMatch(/cfg\.yaml:12:1 extra: unknown key "extra"/);
  });

  it('two unknown keys in one mapping are two problems, each at its line', () => {
    const msg = problems(live('  aa: 1\n  bb: 2\n'), env);
    expect(msg).toMatch(/cfg\.yaml:6:3 source: Unrecognized key: "aa"/);
    expect(msg).toMatch(/cfg\.yaml:7:3 source: Unrecognized key: "bb"/);
  });
});
