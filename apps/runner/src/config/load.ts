import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { ConfigError, grainReads, InsecureUrlError, QUALYS_PLATFORMS, sinkGrains, type AnySinkPlugin, type IncrementalSupport } from '@qcs-export/core';
import { onePerCause } from './causes.js';
import { interpolateDocument, secretFilePaths, type Interpolation, type SecretReader } from './interpolate.js';
import { maskTemplates, unmask, unmaskDocument } from './mask.js';
import { formatPath, samePath } from './paths.js';
import { keyOffset, offsetOf } from './position.js';
import { readSecretFile, readSecretFileSync, type SecretFile } from './secret-file.js';
import {
  authKindOf,
  isSimulatorSource,
  liveSourceSchema,
  runSchema,
  simulatorSourceSchema,
  type Config,
  type LiveSource,
  type SinkConfig,
  type SourceConfig,
} from './schema.js';
import { incrementalSupportOf } from '../sink-declarations.js';
import { validateSection, type Problem, type SectionContext } from './validate.js';
import { lineTooDeep, MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH } from './yaml-limits.js';

/**
 * Reads, interpolates and validates a config file. Every problem is reported at once, each as
 * `file:line:col path: message`, in one ConfigError (exit code 2). The ${file:…} secrets are read on the thread
 * pool with a timeout, so neither a file that never answers nor a signal meanwhile can go unheard; an abort of
 * `signal` stops the load with an AbortedError.
 */
export async function loadConfig(
  file: string,
  plugins: ReadonlyMap<string, AnySinkPlugin>,
  env: NodeJS.ProcessEnv = process.env,
  options: { signal?: AbortSignal } = {},
): Promise<Config> {
  let text: string;
  try {
    const info = await stat(file);
    // A config is a few KiB: a far larger file is a wrong path, refused before it is read (a pipe is read as it comes).
    if (info.isFile() && info.size > MAX_CONFIG_BYTES) throw new ConfigError(tooLarge(file));
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const parsed = parseYaml(text, file);
  const baseDir = dirname(resolve(file));
  const paths = secretFilePaths(parsed.doc, baseDir);
  const read = await Promise.all(paths.map((path) => readSecretFile(path, options.signal ? { signal: options.signal } : {})));
  const secrets = new Map(paths.map((path, i) => [path, read[i] as SecretFile]));
  return buildConfig(parsed, file, plugins, env, (path) => secrets.get(path) ?? readSecretFileSync(path));
}

/** Parses and validates config text; ${file:…} secrets are read synchronously, with the same checks as loadConfig's. */
export function parseConfig(text: string, file: string, plugins: ReadonlyMap<string, AnySinkPlugin>, env: NodeJS.ProcessEnv = process.env): Config {
  return buildConfig(parseYaml(text, file), file, plugins, env, readSecretFileSync);
}

const tooLarge = (file: string) => `${file} is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB, which is not a qcs-export config; check the --config path`;

interface ParsedYaml {
  doc: Document;
  lines: LineCounter;
  where: (offset: number | undefined) => string;
}

/** The YAML document, its templates unmasked, or a ConfigError; bounded in size and nesting before the parser runs. */
function parseYaml(text: string, file: string): ParsedYaml {
  if (text.length > MAX_CONFIG_BYTES) throw new ConfigError(tooLarge(file));
  const masked = maskTemplates(text);
  const deepAt = lineTooDeep(masked.text);
  if (deepAt !== undefined) {
    throw new ConfigError(`${file}:${deepAt}: the config nests more than ${MAX_CONFIG_DEPTH} levels deep; a qcs-export config needs a handful`);
  }
  const lines = new LineCounter();
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
  return { doc, lines, where };
}

function buildConfig(parsed: ParsedYaml, file: string, plugins: ReadonlyMap<string, AnySinkPlugin>, env: NodeJS.ProcessEnv, readSecret: SecretReader): Config {
  const { doc, lines, where } = parsed;
  const interpolation = interpolateDocument(doc, env, dirname(resolve(file)), readSecret);
  const problems: Problem[] = onePerCause(interpolation.issues, (offset) => (offset === undefined ? undefined : lines.linePos(offset).line));
  const ctx: SectionContext = { doc, values: interpolation.values, reported: interpolation.issues.map((i) => i.path) };

  const raw = toPlain(doc, file);
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
  const warnings: string[] = [];
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
      const demand = source && options !== undefined && !source.vulnerabilities ? plugin.needsFindings?.(options) : false;
      if (demand) {
        problems.push({
          path: ['sinks', i, demand.option],
          message: `${demand.setting} needs the vulnerabilities of each image; add source.vulnerabilities (e.g. vulnerabilities: { from: details })`,
        });
      }
      // With a state every run but the first delivers only the changes: a sink that cannot hold them is refused here, so
      // validate says so too (the run checks again, for --state).
      const support: IncrementalSupport | undefined = options !== undefined && withState ? incrementalSupportOf(plugin, plugin.type, options) : undefined;
      if (support && !support.ok) problems.push({ path: ['sinks', i, support.option ?? 'type'], message: `with run.state, ${support.reason}` });
      const containerGrain = options !== undefined && withState ? sinkGrains(plugin, options).find((g) => grainReads(g) === 'containers') : undefined;
      if (containerGrain) {
        problems.push({
          path: ['sinks', i, 'records' in rest ? 'records' : 'type'],
          message:
            `with run.state, records: ${containerGrain} cannot be written: an incremental run reads the images changed since the last run, ` +
            'and containers are read whole every time. Export containers with a config of their own, without run.state',
        });
      }
      if (options !== undefined) {
        const sinkName = typeof name === 'string' ? name : plugin.type;
        sinks.push({ type: plugin.type, name: sinkName, options });
        for (const text of plugin.deprecations?.(options) ?? []) warnings.push(`sinks[${i}] (${sinkName}): ${text}`);
      }
    }
  }
  const run = validateSection(runSchema, top['run'], ['run'], ctx, problems);
  const overridden = source && !isSimulatorSource(source) ? overriddenPlatform(source) : undefined;
  if (overridden) warnings.push(overridden);

  if (problems.length > 0 || !source || !run) {
    // In file order, so the list reads top to bottom like the config (the sort is stable for equal positions).
    const placed = problems.map((p) => ({ ...p, offset: p.offset ?? offsetOf(doc, p.path) })).sort((a, b) => (a.offset ?? -1) - (b.offset ?? -1));
    const text = placed.map((p) => `  ${where(p.offset)} ${formatPath(p.path)}: ${hideSensitive(p, interpolation)}`);
    const message = [`the config has ${problems.length} problem${problems.length === 1 ? '' : 's'}:`, ...text].join('\n');
    // Only plain http:// to a host that is not loopback: the documented QCS_INSECURE_URL, with the same located text.
    if (problems.every((p) => p.code === 'QCS_INSECURE_URL')) throw new InsecureUrlError(message);
    throw new ConfigError(message);
  }
  const credentialOrigins = [
    ...new Set(
      interpolation.values
        .filter((v) => v.path[0] === 'source' && v.path[1] === 'auth')
        .flatMap((v) => v.sources.map((s) => (s.kind === 'file' ? `file ${s.path}` : `$${s.name}`))),
    ),
  ];
  return { source, sinks, run, file, credentialOrigins, ...(warnings.length > 0 ? { warnings } : {}) };
}

/**
 * Both platform and baseUrl: baseUrl wins (a proxy, a private platform). Said when they name different gateways, since
 * one of the two is then a mistake the user should see before a login goes to the wrong region.
 */
function overriddenPlatform(source: LiveSource): string | undefined {
  if (source.platform === undefined) return undefined;
  const gateway = QUALYS_PLATFORMS[source.platform];
  if (new URL(source.baseUrl).origin === new URL(gateway).origin) return undefined;
  return `source.baseUrl ${new URL(source.baseUrl).origin} is used; source.platform ${source.platform} (${gateway}) is ignored`;
}

/** Aliases that expand, each into aliases again, without end. */
const MAX_ALIAS_EXPANSION = 100;

/**
 * The document as plain values. An alias that expands beyond MAX_ALIAS_EXPANSION nodes ("billion laughs": each
 * anchor a list of aliases to the one before) is refused by the yaml library with a ReferenceError; it is a config
 * problem, not a crash.
 */
function toPlain(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
  } catch (error) {
    if (error instanceof ReferenceError) {
      throw new ConfigError(
        `${file}: its YAML aliases (*name) expand beyond ${MAX_ALIAS_EXPANSION} copies, as a resource-exhaustion ("billion laughs") attack does; ` +
          'write the values out, or use fewer nested aliases',
      );
    }
    throw error;
  }
}

/**
 * The last guard for a problem about a value that may hold a credential (InterpolatedValue.sensitive): a schema's
 * own wording ("pageSize … got 6000") may quote it, and the redactor does not know the config's secrets yet.
 */
function hideSensitive(problem: Problem, interpolation: Interpolation): string {
  const value = interpolation.values.find((v) => v.sensitive && samePath(v.path, problem.path));
  if (value === undefined) return problem.message;
  const texts = [value.value, ...interpolation.secrets.filter((s) => value.value.includes(s))].filter((t) => t !== '').sort((a, b) => b.length - a.length);
  return texts.reduce((message, text) => message.replaceAll(text, '[hidden]'), problem.message);
}
