import { describe, expect, it } from 'vitest';
import { useCliHarness } from './support.js';

const h = useCliHarness();

describe('every command has its own help, and a typo gets a did-you-mean (issue 9, point 20)', () => {
  it.each(['run', 'validate', 'doctor', 'simulate', 'schema'])('%s --help prints that command\'s usage and exits 0', async (command) => {
    for (const flag of ['--help', '-h']) {
      const r = await h.cli([command, flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: qcs-export ${command}`));
    }
  });

  it('the main help names -c and the per-command help', async () => {
    const r = await h.cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/-c is short for --config/);
    expect(r.stdout).toMatch(/qcs-export COMMAND --help/);
  });

  it('an unknown command or flag exits 2 and suggests the one meant', async () => {
    const command = await h.cli(['rum', '-c', 'x.yaml']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command "rum"; did you mean "run"\?/);
    const flag = await h.cli(['run', '--jsn']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--jsn'; did you mean "--json"\?; run qcs-export run --help/);
  });
});
