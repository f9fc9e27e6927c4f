import { silentLogger, type Logger, type RunContext } from '@qcs-export/core';
import type { Config } from '../config/schema.js';
import { toolVersion } from '../version.js';

/** The facts every sink of one run (or one validate) shares; relative output paths resolve against `baseDir`. */
export function runContextFor(
  config: Config,
  options: { sourceLabel: string; logger?: Logger; signal?: AbortSignal; baseDir?: string; startedAt?: Date },
): RunContext {
  return {
    startedAt: options.startedAt ?? new Date(),
    toolVersion,
    sourceLabel: options.sourceLabel,
    filter: config.source.filter,
    baseDir: options.baseDir ?? process.cwd(),
    logger: options.logger ?? silentLogger,
    signal: options.signal ?? new AbortController().signal,
    sla: config.source.sla,
  };
}
