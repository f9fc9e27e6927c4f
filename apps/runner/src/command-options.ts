import type { LogFormat, LogLevel } from '@qcs-export/core';

/**
 * Every command's flags, in one place: the parser reads them (cli-args.ts parseFlags), the shell completion is
 * generated from them (completion/), and a test holds them to each command's --help. One entry per flag, so a new
 * flag is one line here and its line in the help.
 */

/** A flag that is there or not. */
interface BooleanOption {
  type: 'boolean';
  short?: string;
  /** One line beside the flag, in the shells that show one (zsh, fish). */
  summary: string;
}

/** A flag followed by a value. */
interface StringOption {
  type: 'string';
  short?: string;
  multiple?: boolean;
  summary: string;
  /** What completion offers for the value: config files, any file, these words; none for a number or a name. */
  value?: 'config-file' | 'file' | readonly string[];
}

export type CommandOption = BooleanOption | StringOption;
export type CommandOptions = Readonly<Record<string, CommandOption>>;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[];
export const LOG_FORMATS = ['text', 'json'] as const satisfies readonly LogFormat[];
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const CONFIG = { type: 'string', short: 'c', summary: 'the YAML config', value: 'config-file' } as const satisfies CommandOption;

/** The flags that shape logging, shared by the commands that log. */
const LOG_FLAGS = {
  'log-level': { type: 'string', summary: 'least severe log line shown', value: LOG_LEVELS },
  'log-format': { type: 'string', summary: 'log lines as text or one JSON object each', value: LOG_FORMATS },
  quiet: { type: 'boolean', short: 'q', summary: 'errors only' },
} as const satisfies CommandOptions;

export const COMMAND_OPTIONS = {
  run: {
    config: { ...CONFIG, multiple: true, summary: 'the YAML config (several: run each in turn)' },
    json: { type: 'boolean', summary: 'print the outcome as JSON on stdout' },
    state: { type: 'string', summary: 'incremental state file to read and write', value: 'file' },
    manifest: { type: 'string', summary: 'write the audit manifest here', value: 'file' },
    'compare-to': { type: 'string', summary: 'compare with the run whose manifest this is', value: 'file' },
    'full-refresh': { type: 'boolean', summary: 'read everything, whatever the state says' },
    'no-state-update': { type: 'boolean', summary: 'leave the state as it is' },
    'dry-run': { type: 'boolean', summary: 'check and print the plan; read and write nothing' },
    ...LOG_FLAGS,
  },
  validate: {
    config: CONFIG,
    connect: { type: 'boolean', summary: 'also log in to Qualys and count the images' },
    json: { type: 'boolean', summary: "print the run's plan as JSON" },
  },
  doctor: {
    config: CONFIG,
    json: { type: 'boolean', summary: 'a machine-readable report' },
    ...LOG_FLAGS,
  },
  simulate: {
    port: { type: 'string', summary: 'port (0 picks a free one)' },
    images: { type: 'string', summary: 'images in the data set' },
    seed: { type: 'string', summary: 'seed of the data set' },
    latency: { type: 'string', summary: 'milliseconds added to every API call' },
  },
  schema: {},
  completion: {},
} as const satisfies Record<string, CommandOptions>;

export type CommandName = keyof typeof COMMAND_OPTIONS;

/** What each command does, in a few words, for the shells that show it beside the name. */
export const COMMAND_SUMMARIES: Readonly<Record<CommandName | 'help', string>> = {
  run: 'run the export',
  validate: 'check the config and its environment; writes nothing',
  doctor: 'read-only check of the Qualys subscription',
  simulate: 'serve the Qualys simulator on 127.0.0.1',
  schema: "print the config's JSON Schema",
  completion: 'print the shell completion script',
  help: "a command's own help",
};

/** The word a command takes after its name, for the commands that take one: what it is, and every value it may have. */
export const COMMAND_ARGUMENTS: Readonly<Partial<Record<CommandName | 'help', { name: string; words: readonly string[] }>>> = {
  completion: { name: 'shell', words: SHELLS },
  help: { name: 'command', words: Object.keys(COMMAND_OPTIONS) },
};

/** The options the tool itself takes before any command; main.ts answers them. */
export const TOP_OPTIONS: CommandOptions = {
  help: { type: 'boolean', short: 'h', summary: 'what qcs-export can do' },
  version: { type: 'boolean', short: 'V', summary: 'print the version' },
};

/** Every spelling of the top options: -v too, for the habit of other tools, but not offered. */
export const TOP_FLAGS = [...flagsOf(TOP_OPTIONS), '-v'];

/** Every command answers these (main.ts), before its own flags are parsed. */
export const HELP_OPTION: CommandOptions = { help: { type: 'boolean', short: 'h', summary: 'this help' } };

/** The spellings of some options on a command line: `--name`, and `-s` for those with a short form. */
export function flagsOf(options: CommandOptions): string[] {
  return Object.entries(options).flatMap(([name, option]) => [`--${name}`, ...(option.short === undefined ? [] : [`-${option.short}`])]);
}
