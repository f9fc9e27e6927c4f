import { isAbsolute, resolve } from 'node:path';
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
  return isAbsolute(expanded) ? expanded : resolve(opts.baseDir, expanded);
}

/**
 * The output path of a sink's option in this run: every sink and the runner resolve their paths at the run's start
 * time and against the directory the command ran from, so this is the one way they call it.
 */
export function outputPathFor(template: string, ctx: Pick<RunContext, 'startedAt' | 'baseDir'>): string {
  return resolveOutputPath(template, { now: ctx.startedAt, baseDir: ctx.baseDir });
}
