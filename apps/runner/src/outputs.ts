import {
  checkWritable,
  ConfigError,
  isQcsError,
  OutputUnwritableError,
  sweepStaleTempFiles,
  type Logger,
  type RunContext,
  type AnySinkPlugin,
} from '@qcs-export/core';
import type { SinkConfig } from './config/schema.js';

/** Every output of every sink, as each plugin declares it (resolved paths, or "stdout"), with the sink that writes it. */
export function outputsOf(sinks: readonly SinkConfig[], plugins: ReadonlyMap<string, AnySinkPlugin>, ctx: RunContext): Array<{ output: string; sink: string }> {
  return sinks.flatMap((s, i) => (plugins.get(s.type)?.outputs?.(s.options, ctx) ?? []).map((output) => ({ output, sink: `sinks[${i}] (${s.name})` })));
}

/**
 * Two sinks writing one file would race to rename it into place, and one export would silently replace the other
 * (dead-letter files included); two on stdout would interleave. Such a config is refused before anything runs.
 */
export function checkDistinctOutputs(sinks: readonly SinkConfig[], plugins: ReadonlyMap<string, AnySinkPlugin>, ctx: RunContext): void {
  const first = new Map<string, string>();
  const problems: string[] = [];
  for (const { output, sink } of outputsOf(sinks, plugins, ctx)) {
    const earlier = first.get(output);
    if (earlier === undefined) first.set(output, sink);
    else problems.push(`  ${sink} writes ${output === 'stdout' ? 'to stdout' : output}, as ${earlier} does; give each output its own path`);
  }
  if (problems.length > 0) throw new ConfigError([`two sinks write the same output:`, ...problems].join('\n'));
}

/**
 * Temporary files an earlier run left beside these outputs (a kill -9, an out-of-memory crash): those of a process
 * that no longer exists are removed (or only reported, for validate), those of a live one are reported, since
 * that is another export writing the same file right now.
 */
export async function sweepOutputs(outputs: ReadonlyArray<{ output: string }>, logger: Logger, options: { dryRun?: boolean } = {}): Promise<void> {
  for (const { output } of outputs) {
    if (output === 'stdout') continue;
    const found = await sweepStaleTempFiles(output, options);
    for (const path of found.removed) {
      logger.warn(`${options.dryRun ? 'found' : 'removed'} a temporary file an interrupted run left behind: ${path}`);
    }
    for (const { backup, path } of found.restored) {
      logger.warn(
        options.dryRun
          ? `${path} is missing and an interrupted run left its previous content in ${backup}: the next run puts it back`
          : `put back the previous ${path}, which an interrupted run had left in ${backup}`,
      );
    }
    for (const { backup, path } of found.kept) {
      logger.warn(
        `an interrupted run replaced ${path} and left its previous content in ${backup}: ` +
          `if that run failed, put it back (mv '${backup}' '${path}'), otherwise delete it`,
      );
    }
    for (const { path, pid } of found.inUse) {
      logger.warn(`process ${pid} is writing ${path} now: another export to ${output} is running; the one that finishes last replaces the file`);
    }
  }
}

/**
 * Checks, before the first request to Qualys, that a file can later be written at `path` by the rules every output
 * follows (core's checkWritable: a writable directory, and no device, FIFO, symbolic link or directory at the path),
 * creating nothing. A refusal names the setting or flag it came from: found only after the export, it would come
 * after every output was replaced (a manifest at /dev/null used to do just that).
 */
export async function checkPathBeforeRun(path: string, setting: string): Promise<void> {
  try {
    await checkWritable(path);
  } catch (error) {
    if (!isQcsError(error)) throw error;
    throw new OutputUnwritableError(`${setting}: ${error.message}`, { cause: error });
  }
}

/** checkPathBeforeRun for every output of every sink (stdout aside), named by the sink that writes it. */
export async function checkOutputsBeforeRun(outputs: ReadonlyArray<{ output: string; sink: string }>): Promise<void> {
  for (const { output, sink } of outputs) if (output !== 'stdout') await checkPathBeforeRun(output, sink);
}
