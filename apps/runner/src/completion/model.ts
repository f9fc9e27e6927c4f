import { COMMAND_ARGUMENTS, COMMAND_OPTIONS, COMMAND_SUMMARIES, type CommandOptions, HELP_OPTION, TOP_OPTIONS } from '../command-options.js';

/** What follows an option: nothing (a switch), a config file, any file, one of these words, or text nobody can guess. */
export type OptionValue = 'none' | 'config-file' | 'file' | 'text' | readonly string[];

export interface CompletedOption {
  /** Without its dashes: `log-level`. */
  long: string;
  short?: string;
  summary: string;
  value: OptionValue;
  /** Given more than once (`-c a.yaml -c b.yaml`). */
  repeatable: boolean;
}

export interface CompletedCommand {
  name: string;
  summary: string;
  options: CompletedOption[];
  /** The word the command takes after its name (the shell of `completion`); none for a command of options only. */
  argument?: { name: string; words: readonly string[] };
}

/** The command line as the shells complete it, whichever shell: the generators only spell it. */
export interface CompletionModel {
  program: string;
  topOptions: CompletedOption[];
  commands: CompletedCommand[];
}

export function completionModel(): CompletionModel {
  const commands = Object.entries(COMMAND_OPTIONS).map(([name, options]) => ({
    name,
    summary: COMMAND_SUMMARIES[name as keyof typeof COMMAND_SUMMARIES],
    // main.ts answers --help for every command before its flags are parsed, so each command takes it too.
    options: completed({ ...options, ...HELP_OPTION }),
    argument: COMMAND_ARGUMENTS[name as keyof typeof COMMAND_ARGUMENTS],
  }));
  // `help` is main.ts's own word, no command of its own: it takes a command name and nothing else.
  commands.push({ name: 'help', summary: COMMAND_SUMMARIES.help, options: [], argument: COMMAND_ARGUMENTS.help });
  const model = { program: 'qcs-export', topOptions: completed(TOP_OPTIONS), commands };
  assertPlainWords(model);
  return model;
}

function completed(options: CommandOptions): CompletedOption[] {
  return Object.entries(options).map(([long, o]) => ({
    long,
    ...(o.short === undefined ? {} : { short: o.short }),
    summary: o.summary,
    value: o.type === 'boolean' ? 'none' : (o.value ?? 'text'),
    repeatable: o.type === 'string' && o.multiple === true,
  }));
}

/**
 * The generators write names and words into shell code unquoted (case patterns, word lists); a name with a space or
 * a quote would break the script, so it fails here, at generation, in the tests, instead of in someone's shell.
 */
function assertPlainWords(model: CompletionModel): void {
  const options = [...model.topOptions, ...model.commands.flatMap((c) => c.options)];
  const words = [
    model.program,
    ...model.commands.flatMap((c) => [c.name, ...(c.argument?.words ?? [])]),
    ...options.flatMap((o) => [o.long, o.short ?? 'x', ...(Array.isArray(o.value) ? o.value : [])]),
  ];
  const odd = words.find((w) => !/^[a-z0-9][a-z0-9-]*$/i.test(w));
  if (odd !== undefined) throw new Error(`completion: "${odd}" is not a plain word; the completion scripts cannot hold it unquoted`);
}
