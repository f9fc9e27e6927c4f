import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliHarness } from './support.js';

const h = useCliHarness();

const demo = (out: string) => `source:
  simulator: { images: 30 }
sinks:
  - type: jsonl
    path: ${out}
`;
const lines = async (file: string) => (await import('node:fs/promises')).readFile(file, 'utf8').then((t) => t.trim().split('\n').length);

describe('config discovery: without -c, $QCS_EXPORT_CONFIG, then ./qcs-export.yaml or .yml (issue 22)', () => {
  it('runs ./qcs-export.yaml and says it found it there', async () => {
    await writeFile(join(h.dir, 'qcs-export.yaml'), demo('out/a.jsonl'));
    const r = await h.cli(['run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('config: qcs-export.yaml (found in the working directory)');
    expect(await lines(join(h.dir, 'out/a.jsonl'))).toBe(30);
  });

  it('takes ./qcs-export.yml as well, in validate and doctor too', async () => {
    await writeFile(join(h.dir, 'qcs-export.yml'), demo('out/b.jsonl'));
    const validate = await h.cli(['validate']);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/^config OK: qcs-export\.yml \(found in the working directory\): embedded simulator/);
    const doctor = await h.cli(['doctor']);
    expect(doctor.stdout).toMatch(/^config: qcs-export\.yml \(found in the working directory\)\n/);
  });

  it('prefers the file $QCS_EXPORT_CONFIG names over the working directory, and says so', async () => {
    await writeFile(join(h.dir, 'qcs-export.yaml'), demo('out/local.jsonl'));
    await mkdir(join(h.dir, 'etc'));
    await writeFile(join(h.dir, 'etc', 'export.yaml'), demo('out/named.jsonl'));
    const r = await h.cli(['validate'], { QCS_EXPORT_CONFIG: 'etc/export.yaml' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('config OK: etc/export.yaml (from $QCS_EXPORT_CONFIG)');
  });

  it('lets -c win over both, and says nothing about discovery then', async () => {
    await writeFile(join(h.dir, 'qcs-export.yaml'), 'not: a config\n');
    const file = await h.config(demo('out/c.jsonl'));
    const r = await h.cli(['validate', '-c', file], { QCS_EXPORT_CONFIG: 'missing.yaml' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('found in');
  });

  it('names all three places when there is no config', async () => {
    for (const command of ['run', 'validate', 'doctor']) {
      const r = await h.cli([command]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'no config: pass --config FILE (-c FILE), set QCS_EXPORT_CONFIG, or put qcs-export.yaml or qcs-export.yml in the working directory',
      );
    }
  });

  it('refuses a $QCS_EXPORT_CONFIG that names no file, and two configs in one directory', async () => {
    const missing = await h.cli(['run'], { QCS_EXPORT_CONFIG: 'nope.yaml' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('QCS_EXPORT_CONFIG names nope.yaml, which does not exist');
    await writeFile(join(h.dir, 'qcs-export.yaml'), demo('out/d.jsonl'));
    await writeFile(join(h.dir, 'qcs-export.yml'), demo('out/e.jsonl'));
    const both = await h.cli(['run']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('both qcs-export.yaml and qcs-export.yml are in');
  });
});
