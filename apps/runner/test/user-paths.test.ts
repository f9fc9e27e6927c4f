import { existsSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliHarness } from './support.js';

const h = useCliHarness();

const config = (path: string, run = '') => `source:
  simulator: { images: 12 }
sinks:
  - type: jsonl
    path: ${path}
${run}`;

const procIsThere = (() => {
  try {
    return statfsSync('/proc').type === 0x9fa0;
  } catch {
    return false;
  }
})();

describe('paths in the config: ~, $HOME, and what validate accepts the run can write (issue 22)', () => {
  it('expands a leading ~ in output, state and manifest paths to $HOME', async () => {
    const home = join(h.dir, 'home');
    await mkdir(home);
    const file = await h.config(config('~/exports/images-{datetime}.jsonl', 'run:\n  state: ~/state/qcs.json\n  manifest: ~/manifests/m.json\n'));
    const r = await h.cli(['run', '-c', file], { HOME: home });
    expect(r.code, r.stderr).toBe(0);
    const [written] = readdirSync(join(home, 'exports'));
    expect(
      readFileSync(join(home, 'exports', written as string), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(12);
    expect(existsSync(join(home, 'state/qcs.json'))).toBe(true);
    expect(existsSync(join(home, 'manifests/m.json'))).toBe(true);
    expect(existsSync(join(h.dir, '~'))).toBe(false);
  });

  it('refuses a bare $HOME in validate and in run alike, with the ${HOME} to write, and creates no "$HOME" directory', async () => {
    const file = await h.config(config('$HOME/b.jsonl'));
    for (const command of ['validate', 'run']) {
      const r = await h.cli([command, '-c', file], { HOME: h.dir });
      expect(r.code, `${command}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('the path "$HOME/b.jsonl" has $HOME, which the config does not expand; write ${HOME}');
    }
    expect(existsSync(join(h.dir, '$HOME'))).toBe(false);
  });

  it('takes ${HOME}, the config variable, as the same place', async () => {
    const file = await h.config(config('${HOME}/c.jsonl'));
    const r = await h.cli(['run', '-c', file], { HOME: h.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(h.dir, 'c.jsonl'))).toBe(true);
  });

  it.runIf(procIsThere)('refuses a path under /proc in validate, and in run before any request, with one code', async () => {
    const file = await h.config(config('/proc/qcs-export-test/y.jsonl'));
    const validate = await h.cli(['validate', '-c', file]);
    const run = await h.cli(['run', '-c', file, '--log-level', 'debug']);
    expect(validate.code).not.toBe(0);
    expect(run.code).toBe(validate.code);
    for (const r of [validate, run]) expect(r.stderr).toContain('cannot write /proc/qcs-export-test/y.jsonl');
    // Refused before the source: no API request was logged.
    expect(run.stderr).not.toMatch(/GET \/csapi/);
  });
});
