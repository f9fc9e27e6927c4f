import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();

describe('a refused login says what to check in the terms of this config (issue 9, point 25)', () => {
  it('names the variables the config reads the credentials from, not QUALYS_*', async () => {
    const s = await h.simulator({ images: 10 });
    const file = await h.config(
      `source:\n  baseUrl: ${s.url}\n  auth:\n    username: \${MY_USER}\n    password: \${MY_PASS}\nsinks:\n  - type: jsonl\n    path: x.jsonl\n`,
    );
    const r = await h.cli(['run', '-c', file], { MY_USER: 'auditor', MY_PASS: 'wr0ng-pass' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/Check the username and password \(source\.auth, from \$MY_USER and \$MY_PASS\)/);
    expect(r.stderr).not.toMatch(/QUALYS_USERNAME|QUALYS_PASSWORD/);
  });

  it('names the secret file the password is read from', async () => {
    const s = await h.simulator({ images: 10 });
    await writeFile(join(h.dir, 'pw'), 'wr0ng-pass');
    const file = await h.config(
      `source:\n  baseUrl: ${s.url}\n  auth:\n    username: auditor\n    password: \${file:pw}\nsinks:\n  - type: jsonl\n    path: x.jsonl\n`,
    );
    const r = await h.cli(['run', '-c', file]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/Check the username and password \(source\.auth, from file \S*pw\)/);
    expect(r.stderr).not.toContain(PASSWORD);
  });
});
