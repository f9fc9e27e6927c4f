import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { problems } from './config-support.js';

// One missing variable or secret file is one problem: the empty value it leaves behind must not be reported again
// by the schema, at its first use or at any later one.
const lines = (msg: string) => msg.split('\n').slice(1);

const live = `source:
  baseUrl: https://gateway.qg1.apps.qualys.com
  auth:
    username: \${QUALYS_USERNAME}
    password: \${QUALYS_PASSWORD}
sinks:
  - type: jsonl
    path: out/x.jsonl
`;

describe('config: one problem per cause', () => {
  it('reports a missing username and password once each, without "is empty"', () => {
    const msg = problems(live);
    expect(msg).toContain('the config has 2 problems');
    expect(lines(msg)).toEqual([
      expect.stringContaining('cfg.yaml:4:15 source.auth.username: QUALYS_USERNAME is not set'),
      expect.stringContaining('cfg.yaml:5:15 source.auth.password: QUALYS_PASSWORD is not set'),
    ]);
  });

  it('reports a variable used in several places once, at its first use, naming the others', () => {
    const siem = readFileSync(fileURLToPath(new URL('../../../examples/siem.yaml', import.meta.url)), 'utf8');
    const msg = problems(siem, {}, 'siem.yaml');
    expect(msg).toContain('the config has 4 problems');
    expect(msg).toContain(
      'siem.yaml:14:11 sinks[0].node: ES_URL is not set: set ES_URL, e.g. https://es.example.com:9200; also used at sinks[1].node (line 21)',
    );
    expect(msg).toContain('siem.yaml:17:15 sinks[0].auth.apiKey: ES_API_KEY is not set: set ES_API_KEY; also used at sinks[1].auth.apiKey (line 25)');
    expect(msg).not.toMatch(/not a valid URL|is empty/);
  });

  it('reports an unreadable secret file once, without the empty-value error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qcs-secret-'));
    try {
      const msg = problems(live.replace('${QUALYS_PASSWORD}', '${file:nope}'), { QUALYS_USERNAME: 'u' }, join(dir, 'cfg.yaml'));
      expect(msg).toContain('the config has 1 problem:');
      expect(msg).toMatch(/source\.auth\.password: cannot read the secret file .*nope: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('still reports a real schema problem next to a missing variable', () => {
    const msg = problems(live.replace('path: out/x.jsonl', 'path: out/x.jsonl\n    gzipLevel: 12'), { QUALYS_USERNAME: 'u' });
    expect(msg).toContain('the config has 2 problems');
    expect(msg).toContain('source.auth.password: QUALYS_PASSWORD is not set');
    expect(msg).toContain('sinks[0].gzipLevel: must be at most 9');
  });
});
