import type { IncrementalSupport } from './contract.js';

/**
 * A file sink in an incremental run writes only the images changed since the last run: a delta. Each run's delta
 * needs its own file, or the next run would replace it and its changes would be lost to whoever reads the files; and
 * a fixed name would pass a delta off as the whole inventory. So the path must name the run's time.
 */
export function deltaFileSupport(path: string, what: string): IncrementalSupport {
  if (path === '-') return { ok: true, meaning: `${what} of the images changed since the last run, on stdout` };
  if (/\{(time|datetime)\}/.test(path)) return { ok: true, meaning: `one file per run with the ${what} of the images changed since the last run` };
  return {
    ok: false,
    option: 'path',
    reason:
      `an incremental run writes only the images changed since the last run, so each run needs its own file: put {datetime} in path ` +
      `(e.g. ${suggest(path)}); with {date} alone, a second run on the same day would replace the first one's changes`,
  };
}

function suggest(path: string): string {
  const withoutDate = path.replace(/[-_.]?\{date\}/, '');
  const dot = withoutDate.search(/\.[^./]+(\.gz)?$/);
  return dot > 0 ? `${withoutDate.slice(0, dot)}-{datetime}${withoutDate.slice(dot)}` : `${withoutDate}-{datetime}`;
}
