import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { RunContext } from './contract.js';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Expands {date} (UTC YYYY-MM-DD), {time} (UTC HHmmss) and {datetime} (YYYYMMDDTHHmmssZ) in an output path and
 * resolves it against baseDir. Every sink of a run gets the same `now`, so their file names match.
 */
export function resolveOutputPath(template: string, opts: { now: Date; baseDir: string }): string {
  const d = opts.now;
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  const values: Record<string, string> = { date, time, datetime: `${date.replace(/-/g, '')}T${time}Z` };
  const expanded = template.replace(/\{([^}]*)\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new ConfigError(`unknown placeholder {${name}} in output path "${template}"; use {date}, {time} or {datetime}`);
    return value;
  });
  return resolveUserPath(expanded, opts.baseDir);
}

/**
 * A path as a user writes it in the config, resolved as a shell would have resolved it on the command line: a leading
 * `~` is the home directory, and a relative path is relative to baseDir. A bare `$NAME` is refused instead of taken
 * literally: the config's variables are written `${NAME}`, and `path: $HOME/x.jsonl` used to write into a directory
 * named "$HOME".
 */
export function resolveUserPath(path: string, baseDir: string): string {
  const variable = /\$([A-Za-z_][A-Za-z0-9_]*)/.exec(path)?.[1];
  if (variable !== undefined) {
    throw new ConfigError(`the path "${path}" has $${variable}, which the config does not expand; write \${${variable}} (or ~ for the home directory)`);
  }
  if (path.startsWith('~')) {
    const slash = path.indexOf('/');
    const user = slash === -1 ? path.slice(1) : path.slice(1, slash);
    if (user !== '') throw new ConfigError(`the path "${path}" starts with ~${user}, another user's home, which is not expanded; write the full path`);
    return join(homeDirectory(path), slash === -1 ? '' : path.slice(slash + 1));
  }
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** $HOME as the shell's ~ reads it (and as the config's ${HOME} reads it), else the user's entry in the passwd database. */
function homeDirectory(path: string): string {
  const home = process.env['HOME'];
  if (home !== undefined && home !== '') return home;
  try {
    return homedir();
  } catch {
    // A container user with no passwd entry and no HOME has no home to expand ~ to.
    throw new ConfigError(`the path "${path}" starts with ~, but this process has no home directory (HOME is not set); write the full path`);
  }
}

/**
 * The output path of a sink's option in this run: every sink and the runner resolve their paths at the run's start
 * time and against the directory the command ran from, so this is the one way they call it.
 */
export function outputPathFor(template: string, ctx: Pick<RunContext, 'startedAt' | 'baseDir'>): string {
  return resolveOutputPath(template, { now: ctx.startedAt, baseDir: ctx.baseDir });
}
