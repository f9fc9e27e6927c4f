import { describe, expect, it } from 'vitest';
import { lineTooDeep } from '../src/config/yaml-limits.js';
import { parse } from './config-support.js';
import { PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();
/** The parser's worst cases took seconds to minutes, or ended in a fatal out-of-memory, before the fix: killed here. */
const HANG_GUARD_MS = 20_000;

const guarded = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  h.cli(args, env, (child) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
    child.on('exit', () => clearTimeout(timer));
  });

const SIMULATED = 'source:\n  simulator: { images: 10 }\nsinks:\n  - type: jsonl\n    path: out.jsonl\n';

/** Each anchor a list of nine aliases to the one before: 9^7 nodes once expanded, from a few hundred bytes. */
const BILLION_LAUGHS = `x:
  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
${SIMULATED}`;

describe('a hostile config is a config error, bounded in time (issue 17)', () => {
  it('a YAML alias bomb ("billion laughs") exits 2, not 1 with an internal error', async () => {
    const file = await h.config(BILLION_LAUGHS);
    const r = await guarded(['validate', '-c', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/QCS_CONFIG_INVALID.*YAML aliases \(\*name\) expand beyond 100 copies/);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it.each([
    ['10,000 nested [', `${SIMULATED}run:\n  logLevel: ${'['.repeat(10_000)}\n`, 7],
    ['200,000 nested {', `${SIMULATED}run:\n  logLevel: ${'{a: '.repeat(200_000)}\n`, 7],
    ['100,000 compact - on one line', `${SIMULATED}  - ${'- '.repeat(100_000)}x\n`, 6],
  ])('%s exits 2 naming the line, without a crash', async (_name, text, line) => {
    const file = await h.config(text);
    const r = await guarded(['validate', '-c', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`QCS_CONFIG_INVALID.*config\\.yaml:${line}: the config nests more than 64 levels deep`));
  });

  it('the depth check counts brackets in plain text, and never those inside quotes or comments', () => {
    expect(lineTooDeep(`filter: 'a${'['.repeat(100)}'\nname: "${'{'.repeat(100)}"\n# ${'['.repeat(100)}\n`)).toBeUndefined();
    // A quote inside a word does not open a quoted scalar, so it cannot hide the brackets after it.
    expect(lineTooDeep(`x: [a'b, ${'['.repeat(100)}`)).toBe(1);
    // A quote on a block scalar's line opens nothing beyond that line.
    expect(lineTooDeep(`a: |\n  'open\nb: ${'['.repeat(100)}`)).toBe(3);
  });

  it('a __proto__ key is an unknown key, and changes no prototype', async () => {
    const text =
      'source:\n  simulator: { images: 10 }\n  __proto__: { pageSize: 5 }\n' +
      'sinks:\n  - type: jsonl\n    path: out.jsonl\n    __proto__: { polluted: yes }\n';
    expect(() => parse(text)).toThrow(/source: Unrecognized key: "__proto__"[\s\S]*sinks\[0\]: Unrecognized key: "__proto__"/);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    const file = await h.config(text);
    const r = await guarded(['validate', '-c', file]);
    expect(r.code, r.stderr).toBe(2);
  });
});

describe('a config error never shows a value a credential also came from (issue 17)', () => {
  const live = (extra: string) =>
    `source:\n  baseUrl: https://gateway.qg1.apps.qualys.com\n  auth:\n    username: auditor\n    password: \${QUALYS_PASSWORD}\n` +
    `${extra}sinks:\n  - type: jsonl\n    path: out.jsonl\n`;

  it('pageSize from the password variable: named, never shown, whether it converts or not', async () => {
    const text = live('  pageSize: ${QUALYS_PASSWORD}\n');
    const r = await guarded(['validate', '-c', await h.config(text)], { QUALYS_PASSWORD: PASSWORD });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/source\.pageSize: QUALYS_PASSWORD is not a whole number/);
    expect(r.stderr).not.toContain(PASSWORD);

    // A numeric password passes the conversion, and then fails the bulk page limit, whose wording quotes the value.
    const numeric = '987654';
    const bulk = await guarded(['validate', '-c', await h.config(live('  strategy: bulk\n  pageSize: ${QUALYS_PASSWORD}\n'))], { QUALYS_PASSWORD: numeric });
    expect(bulk.code, bulk.stderr).toBe(2);
    expect(bulk.stderr).toMatch(/source\.pageSize: /);
    expect(bulk.stderr).not.toContain(numeric);
  });

  it('a sink type from the password variable is not quoted either', () => {
    const text = live('').replace('type: jsonl', 'type: ${QUALYS_PASSWORD}');
    expect(() => parse(text, { QUALYS_PASSWORD: PASSWORD })).toThrow(/sinks\[0\]\.type: unknown sink type "\[hidden\]"/);
  });
});
