import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type SinkPlugin } from '@qcs-export/core';
import { interpolateDocument } from './interpolate.js';
import { authKindOf, liveSourceSchema, runSchema, simulatorSourceSchema, type Config, type SinkConfig, type SourceConfig } from './schema.js';

interface Problem {
  path: Array<string | number>;
  message: string;
  offset?: number | undefined;
}

/**
 * Reads, interpolates and validates a config file. Every problem is reported at once, each as
 * `file:line:col path: message`, in one ConfigError (exit code 2).
 */
export async function loadConfig(file: string, plugins: ReadonlyMap<string, SinkPlugin<any>>, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseConfig(text, file, plugins, env);
}

export function parseConfig(text: string, file: string, plugins: ReadonlyMap<string, SinkPlugin<any>>, env: NodeJS.ProcessEnv = process.env): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return file;
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(['the config is not valid YAML:', ...doc.errors.slice(0, 5).map((e) => `  ${where(e.pos[0])}: ${e.message.split('\n')[0]}`)].join('\n'));
  }
  const problems: Problem[] = interpolateDocument(doc, env, dirname(resolve(file)));
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${file}: the config must be a mapping with "source" and "sinks" keys`);
  }
  const top = raw as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!['source', 'sinks', 'run'].includes(key)) problems.push({ path: [key], message: `unknown key "${key}"; the config has source, sinks and run` });
  }

  const check = <S extends z.ZodType>(schema: S, value: unknown, path: Array<string | number>): z.output<S> | undefined => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) problems.push({ path: [...path, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: issue.message });
    return undefined;
  };

  let source: SourceConfig | undefined;
  const rawSource = top['source'];
  if (rawSource === undefined) problems.push({ path: ['source'], message: 'source is required: a Qualys gateway (baseUrl, auth) or simulator: {}' });
  else if (rawSource && typeof rawSource === 'object' && 'simulator' in rawSource) source = check(simulatorSourceSchema, rawSource, ['source']);
  else source = check(liveSourceSchema(authKindOf((rawSource as { auth?: unknown } | null)?.auth)), rawSource, ['source']);

  const sinks: SinkConfig[] = [];
  const rawSinks = top['sinks'];
  if (!Array.isArray(rawSinks) || rawSinks.length === 0) {
    problems.push({ path: ['sinks'], message: `sinks must be a list with at least one sink; known types: ${[...plugins.keys()].join(', ')}` });
  } else {
    rawSinks.forEach((entry: unknown, i) => {
      if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return void problems.push({ path: ['sinks', i], message: 'each sink is a mapping with a "type"' });
      const { type, name, ...rest } = entry as Record<string, unknown>;
      const plugin = typeof type === 'string' ? plugins.get(type) : undefined;
      if (!plugin) {
        return void problems.push({ path: ['sinks', i, 'type'], message: `${type === undefined ? 'type is missing' : `unknown sink type "${String(type)}"`}; known types: ${[...plugins.keys()].join(', ')}` });
      }
      const options = check(plugin.options, rest, ['sinks', i]);
      if (options !== undefined) sinks.push({ type: plugin.type, name: typeof name === 'string' ? name : plugin.type, options });
    });
  }
  const run = check(runSchema, top['run'], ['run']);

  if (problems.length > 0 || !source || !run) {
    const text = problems.map((p) => `  ${where(p.offset ?? offsetOf(doc, p.path))} ${formatPath(p.path)}: ${p.message}`);
    throw new ConfigError([`the config has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`, ...text].join('\n'));
  }
  return { source, sinks, run, file };
}

/** The file offset of the deepest node of `path` that exists, so a missing key points at its parent. */
function offsetOf(doc: Document, path: Array<string | number>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return node.range[0];
  }
  return undefined;
}

function formatPath(path: Array<string | number>): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '');
}
