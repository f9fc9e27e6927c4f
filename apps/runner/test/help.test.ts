import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { useCliHarness } from './support.js';

const h = useCliHarness();

describe('every command has its own help, and a typo gets a did-you-mean (issue 9, point 20)', () => {
  it.each(['run', 'validate', 'doctor', 'simulate', 'schema'])("%s --help prints that command's usage and exits 0", async (command) => {
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
    expect(flag.stderr).toMatch(/unknown option "--jsn"; did you mean "--json"\?; run qcs-export run --help/);
  });

  it("help COMMAND is that command's help; bare qcs-export shows the help; -V is the version; a mistyped --version is suggested (issue 22)", async () => {
    const help = await h.cli(['help', 'run']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: qcs-export run/);
    expect((await h.cli(['help', 'rum'])).stderr).toMatch(/unknown command "rum"; did you mean "run"\?/);
    const bare = await h.cli([]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/qcs-export COMMAND --help/);
    const version = await h.cli(['-V']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const typo = await h.cli(['--verison']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown option "--verison"; did you mean "--version"\?/);
  });

  it('-c=FILE reads FILE, as -c FILE and --config=FILE do (issue 22)', async () => {
    const r = await h.cli(['validate', '-c=nowhere.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nowhere\.yaml/);
    expect(r.stderr).not.toMatch(/=nowhere\.yaml/);
  });
});

describe('simulate and the csv sink say plainly what they cannot do (issue 9, points 16 and 26)', () => {
  it('simulate on a busy or invalid port is a usage error (exit 2) with a way out, not an internal error', async () => {
    const s = await h.simulator({ images: 1 });
    const busy = await h.cli(['simulate', '--port', String(s.port)]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(/QCS_USAGE.*port \d+ on 127\.0\.0\.1 is in use; choose another with --port N/);
    const invalid = await h.cli(['simulate', '--port', '70000']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/--port must be from 0 to 65535/);
  });

  it('a csv sink with path "-" is a config error pointing at the jsonl sink', async () => {
    const s = await h.simulator({ images: 1 });
    const file = await h.config(`source:\n  baseUrl: ${s.url}\n  auth: { token: x }\nsinks:\n  - type: csv\n    path: "-"\n`);
    const r = await h.cli(['validate', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the csv sink writes a file, not stdout/);
    expect(await readdir(h.dir)).toEqual(['config.yaml']);
  });
});

describe('simulate serves data relative to today (issue 9, point 26)', () => {
  it("a relative filter like the compliance example's imagesInUse:'[now-30d ... now]' matches images", async () => {
    let url = '';
    let stop: (() => void) | undefined;
    const done = h.cli(['simulate', '--port', '0', '--images', '300'], {}, (child) => {
      stop = () => child.kill('SIGINT');
      child.stdout?.on('data', (d: Buffer) => {
        url ||= /listening on (http:\/\/\S+)/.exec(String(d))?.[1] ?? '';
      });
    });
    while (!url) await new Promise((res) => setTimeout(res, 20));
    try {
      const login = await fetch(`${url}/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'username=demo&password=demo-password',
      });
      const token = await login.text();
      const filter = encodeURIComponent("imagesInUse:'[now-30d ... now]'");
      const page = (await (await fetch(`${url}/csapi/v1.3/images?filter=${filter}&pageSize=1`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        count: number;
      };
      // about 6% of images were used in the last 30 days (19 of these 300); with dates anchored in the past, almost none
      expect(page.count).toBeGreaterThanOrEqual(10);
    } finally {
      stop?.();
      expect((await done).code).toBe(0);
    }
  });
});
