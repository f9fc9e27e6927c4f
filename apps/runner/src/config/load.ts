import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type AnySinkPlugin, type IncrementalSupport } from '@qcs-export/core';
import { onePerCause } from './causes.js';
import { interpolateDocument } from './interpolate.js';
import { maskTemplates, unmask, unmaskDocument } from './mask.js';
import { formatPath, samePath } from './paths.js';
import { keyOffset, offsetOf } from './position.js';
import { authKindOf, liveSourceSchema, runSchema, simulatorSourceSchema, type Config, type SinkConfig, type SourceConfig } from './schema.js';
import { incrementalSupportOf } from '../state/incremental.js';
import { validateSection, type Problem, type SectionContext } from './validate.js';

/**
 * Reads, interpolates and validates a config file. Every problem is reported at once, each as
 * `file:line:col path: message`, in one ConfigError (exit code 2).
 */
export async function loadConfig(file: string, plugins: ReadonlyMap<string, AnySinkPlugin>, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseConfig(text, file, plugins, env);
}

export function parseConfig(text: string, file: string, plugins: ReadonlyMap<string, AnySinkPlugin>, env: NodeJS.ProcessEnv = process.env): Config {
  const lines = new LineCounter();
  const masked = maskTemplates(text);
  const doc = parseDocument(masked.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return file;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(
      ['the config is not valid YAML:', ...doc.errors.slice(0, 5).map((e) => `  ${where(e.pos[0])}: ${unmask(e.message.split('\n')[0] ?? '')}`)].join('\n'),
    );
  }
  if (masked.masked) unmaskDocument(doc);
  const interpolation = interpolateDocument(doc, env, dirname(resolve(file)));
  const problems: Problem[] = onePerCause(interpolation.issues, (offset) => (offset === undefined ? undefined : lines.linePos(offset).line));
  const ctx: SectionContext = { doc, values: interpolation.values, reported: interpolation.issues.map((i) => i.path) };

  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${file}: the config must be a mapping with "source" and "sinks" keys`);
  }
  const top = raw as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!['source', 'sinks', 'run'].includes(key))
      problems.push({ path: [key], message: `unknown key "${key}"; the config has source, sinks and run`, offset: keyOffset(doc, [], key) });
  }

  let source: SourceConfig | undefined;
  const rawSource = top['source'];
  if (rawSource === undefined) problems.push({ path: ['source'], message: 'source is required: a Qualys gateway (baseUrl, auth) or simulator: {}' });
  else if (rawSource && typeof rawSource === 'object' && 'simulator' in rawSource)
    source = validateSection(simulatorSourceSchema, rawSource, ['source'], ctx, problems);
  else source = validateSection(liveSourceSchema(authKindOf((rawSource as { auth?: unknown } | null)?.auth)), rawSource, ['source'], ctx, problems);

  const sinks: SinkConfig[] = [];
  const rawSinks = top['sinks'];
  const withState = typeof (top['run'] as { state?: unknown } | null | undefined)?.state === 'string';
  if (!Array.isArray(rawSinks) || rawSinks.length === 0) {
    problems.push({ path: ['sinks'], message: `sinks must be a list with at least one sink; known types: ${[...plugins.keys()].join(', ')}` });
  } else {
    for (const [i, entry] of (rawSinks as unknown[]).entries()) {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
        problems.push({ path: ['sinks', i], message: 'each sink is a mapping with a "type"' });
        continue;
      }
      const { type, name, ...rest } = entry as Record<string, unknown>;
      const plugin = typeof type === 'string' ? plugins.get(type) : undefined;
      // A type read from a missing variable is already reported; "unknown sink type """ would repeat it.
      if (!plugin && ctx.reported.some((r) => samePath(r, ['sinks', i, 'type']))) continue;
      if (!plugin) {
        problems.push({
          path: ['sinks', i, 'type'],
          message: `${type === undefined ? 'type is missing' : `unknown sink type "${String(type)}"`}; known types: ${[...plugins.keys()].join(', ')}`,
        });
        continue;
      }
      const options = validateSection(plugin.options, rest, ['sinks', i], ctx, problems);
      if (source && options !== undefined && plugin.needsFindings?.(options) && !source.vulnerabilities) {
        const grain = (options as { records?: string }).records;
        const what = grain && grain !== 'images' ? `records: ${grain}` : 'this sink';
        problems.push({
          path: ['sinks', i, grain && grain !== 'images' ? 'records' : 'findings'],
          message: `${what} needs the vulnerabilities of each image; add source.vulnerabilities (e.g. vulnerabilities: { from: details })`,
        });
      }
      // With a state every run but the first delivers only the changes: a sink that cannot hold them is refused here, so
      // validate says so too (the run checks again, for --state).
      const support: IncrementalSupport | undefined = options !== undefined && withState ? incrementalSupportOf(plugin, plugin.type, options) : undefined;
      if (support && !support.ok)
        problems.push({ path: ['sinks', i, 'path' in (rest as object) ? 'path' : 'type'], message: `with run.state, ${support.reason}` });
      if (options !== undefined) sinks.push({ type: plugin.type, name: typeof name === 'string' ? name : plugin.type, options });
    }
  }
  const run = validateSection(runSchema, top['run'], ['run'], ctx, problems);

  if (problems.length > 0 || !source || !run) {
    // In file order, so the list reads top to bottom like the config (the sort is stable for equal positions).
    const placed = problems.map((p) => ({ ...p, offset: p.offset ?? offsetOf(doc, p.path) })).sort((a, b) => (a.offset ?? -1) - (b.offset ?? -1));
    const text = placed.map((p) => `  ${where(p.offset)} ${formatPath(p.path)}: ${p.message}`);
    throw new ConfigError([`the config has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`, ...text].join('\n'));
  }
  const credentialOrigins = [
    ...new Set(
      interpolation.values
        .filter((v) => v.path[0] === 'source' && v.path[1] === 'auth')
        .flatMap((v) => v.sources.map((s) => (s.kind === 'file' ? `file ${s.path}` : `$${s.name}`))),
    ),
  ];
  return { source, sinks, run, file, credentialOrigins };
}
