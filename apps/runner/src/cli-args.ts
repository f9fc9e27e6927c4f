import { parseArgs } from 'node:util';
import { createConsoleLogger, Redactor, UsageError, type LogFormat, type Logger, type LogLevel } from '@qcs-export/core';
import { chooseConfig, type ConfigChoice } from './config/discover.js';
import { type CommandOptions, LOG_FORMATS, LOG_LEVELS } from './command-options.js';
import type { loadConfig } from './config/load.js';
import { didYouMean } from './config/suggest.js';
import { sinkPlugins } from './registry.js';
import { registerSecrets } from './source-setup.js';

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
export type Flags = Record<string, string | boolean | undefined>;

/** The one redactor of this process: every secret the config names is registered in it before anything is printed. */
export const redactor = new Redactor();

/** Parses a command's flags strictly; an unknown flag is a usage error with a did-you-mean. */
export function parseFlags(command: string, argv: string[], options: CommandOptions = {}): Flags {
  const parserOptions = forParser(options);
  try {
    return parseArgs({ args: withShortValues(argv, parserOptions), options: parserOptions, allowPositionals: false, strict: true }).values as Flags;
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
    if (unknown !== undefined) {
      const hint = didYouMean(
        unknown,
        Object.keys(options).map((o) => `--${o}`),
      );
      throw new UsageError(`unknown option "${unknown}"${hint}; run qcs-export ${command} --help`);
    }
    throw new UsageError(`${message}; run qcs-export ${command} --help`);
  }
}

/** Only what parseArgs knows of each option: the completion's summaries and values are not its business. */
function forParser(options: CommandOptions): Options {
  return Object.fromEntries(
    Object.entries(options).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short === undefined ? {} : { short: o.short }), ...(o.type === 'string' && o.multiple ? { multiple: true } : {}) },
    ]),
  );
}

/**
 * `-c=x.yaml` as `-c x.yaml`: Node reads the value of a short option written with `=` as "=x.yaml", a file nobody
 * meant. Long options (`--config=x.yaml`) Node already reads right.
 */
function withShortValues(argv: readonly string[], options: Options): string[] {
  const takesValue = new Set(
    Object.values(options ?? {})
      .filter((o) => o.type === 'string' && o.short !== undefined)
      .map((o) => `-${o.short}`),
  );
  return argv.flatMap((arg) => {
    const at = arg.indexOf('=');
    return at === 2 && takesValue.has(arg.slice(0, 2)) ? [arg.slice(0, 2), arg.slice(3)] : [arg];
  });
}

/** The config a one-config command reads: -c, else $QCS_EXPORT_CONFIG, else ./qcs-export.yaml (.yml). */
export function configFlag(values: Flags): ConfigChoice {
  const file = values['config'];
  return chooseConfig(typeof file === 'string' ? file : undefined);
}

/** Every credential in the config, source and sinks, so no log line or error can print it. */
export function registerAllSecrets(config: Awaited<ReturnType<typeof loadConfig>>): void {
  registerSecrets(config.source, redactor);
  for (const sink of config.sinks) for (const secret of sinkPlugins.get(sink.type)?.secrets?.(sink.options) ?? []) redactor.add(secret);
}

export interface LogSettings {
  level: LogLevel;
  format: LogFormat;
  quiet: boolean;
}

/** --quiet means errors only: it wins over --log-level and the config's run.logLevel. */
export function logSettings(values: Flags, fallbackLevel: LogLevel): LogSettings {
  const quiet = values['quiet'] === true;
  const level = quiet ? 'error' : ((values['log-level'] as LogLevel | undefined) ?? fallbackLevel);
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level must be debug, info, warn or error, got "${level}"`);
  const format = (values['log-format'] as LogFormat | undefined) ?? 'text';
  if (!(LOG_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--log-format must be text or json, got "${String(format)}"`);
  return { level, format, quiet };
}

/**
 * The settings the flags alone give, for what is logged before the config (and its run.logLevel) is read. Never
 * throws: a bad flag is reported by logSettings, once, in its place after the config.
 */
export function flagLogSettings(values: Flags): LogSettings {
  try {
    return logSettings(values, 'info');
  } catch {
    return { level: 'info', format: values['log-format'] === 'json' ? 'json' : 'text', quiet: values['quiet'] === true };
  }
}

export function loggerFor(settings: LogSettings, stream?: NodeJS.WritableStream): Logger {
  return createConsoleLogger({ level: settings.level, format: settings.format, redactor, ...(stream ? { stream } : {}) });
}
