import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, outputPathFor, resolveOutputPath, resolveUserPath } from '../src/index.js';

const ctx = { startedAt: new Date('2026-03-04T05:06:07.890Z'), baseDir: '/srv/exports' };

describe('outputPathFor', () => {
  it("expands the placeholders at the run's start time and resolves against the run's directory", () => {
    expect(outputPathFor('out/{date}/images-{time}.csv', ctx)).toBe(join('/srv/exports', 'out/2026-03-04/images-050607.csv'));
    expect(outputPathFor('images-{datetime}.jsonl.gz', ctx)).toBe('/srv/exports/images-20260304T050607Z.jsonl.gz');
  });

  it('keeps an absolute path where it is', () => {
    expect(outputPathFor('/var/lib/qcs/{date}.xlsx', ctx)).toBe('/var/lib/qcs/2026-03-04.xlsx');
  });

  it('gives what resolveOutputPath gives with the same time and directory', () => {
    expect(outputPathFor('a/{datetime}.csv', ctx)).toBe(resolveOutputPath('a/{datetime}.csv', { now: ctx.startedAt, baseDir: ctx.baseDir }));
  });

  it('refuses an unknown placeholder as a config error naming the ones that exist', () => {
    expect(() => outputPathFor('out/{hour}.csv', ctx)).toThrow(ConfigError);
    expect(() => outputPathFor('out/{hour}.csv', ctx)).toThrow(/unknown placeholder \{hour\}.*\{date\}, \{time\} or \{datetime\}/);
  });
});

describe('resolveUserPath: ~ and $NAME in a path the config names (issue 22)', () => {
  const withHome = <T>(home: string | undefined, body: () => T): T => {
    const saved = process.env['HOME'];
    if (home === undefined) delete process.env['HOME'];
    else process.env['HOME'] = home;
    try {
      return body();
    } finally {
      process.env['HOME'] = saved;
    }
  };

  it('expands a leading ~ to the home directory, as the shell would', () => {
    withHome('/home/auditor', () => {
      expect(resolveUserPath('~/exports/a.jsonl', '/srv')).toBe('/home/auditor/exports/a.jsonl');
      expect(resolveUserPath('~', '/srv')).toBe('/home/auditor');
      expect(outputPathFor('~/out/{date}.csv', ctx)).toBe('/home/auditor/out/2026-03-04.csv');
    });
  });

  it('leaves a ~ that does not lead, and a relative or absolute path, as they are', () => {
    expect(resolveUserPath('out/~backup.csv', '/srv')).toBe('/srv/out/~backup.csv');
    expect(resolveUserPath('/data/x.xlsx', '/srv')).toBe('/data/x.xlsx');
  });

  it('refuses a bare $NAME with the ${NAME} to write instead, rather than making a directory named "$HOME"', () => {
    expect(() => resolveUserPath('$HOME/b.jsonl', '/srv')).toThrow(ConfigError);
    expect(() => outputPathFor('$HOME/b.jsonl', ctx)).toThrow('the path "$HOME/b.jsonl" has $HOME, which the config does not expand; write ${HOME}');
    expect(() => resolveUserPath('out/$RUN_ID.csv', '/srv')).toThrow('write ${RUN_ID}');
  });

  it("refuses ~user, another user's home", () => {
    expect(() => resolveUserPath('~bob/x.csv', '/srv')).toThrow("starts with ~bob, another user's home, which is not expanded");
  });
});
