import { toolVersion } from '../version.js';
import type { CompletedCommand, CompletedOption, CompletionModel } from './model.js';

/** Text inside '…' in the script. */
function quoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A description in an _arguments spec's […], where a bracket or backslash of its own must be escaped. */
function bracketed(text: string): string {
  return `[${text.replace(/[[\]\\]/g, '\\$&')}]`;
}

/** The _arguments action after an option: what its value is, and how to complete it. */
function valueAction(option: CompletedOption): string {
  if (option.value === 'none') return '';
  if (option.value === 'config-file') return ':config file:_files -g "*.(yaml|yml)"';
  if (option.value === 'file') return ':file:_files';
  if (option.value === 'text') return `:${option.long}: `;
  return `:${option.long}:(${option.value.join(' ')})`;
}

/**
 * An option's _arguments specs, one per spelling. `--state=` takes `--state=FILE` and `--state FILE`, `-c+` takes
 * `-cFILE` and `-c FILE`, as Node's parser does. The two spellings exclude each other, unless the option is repeatable.
 */
function optionSpecs(option: CompletedOption): string[] {
  const takesValue = option.value !== 'none';
  const flags = [`--${option.long}${takesValue ? '=' : ''}`, ...(option.short === undefined ? [] : [`-${option.short}${takesValue ? '+' : ''}`])];
  const exclusion = option.repeatable ? '*' : `(${[`--${option.long}`, ...(option.short === undefined ? [] : [`-${option.short}`])].join(' ')})`;
  // --help stops everything else: nothing after it is read.
  const stops = option.long === 'help' || option.long === 'version' ? '(- : *)' : exclusion;
  return flags.map((flag) => quoted(`${stops}${flag}${bracketed(option.summary)}${valueAction(option)}`));
}

function commandArguments(command: CompletedCommand): string {
  const specs = [
    ...command.options.flatMap(optionSpecs),
    ...(command.argument === undefined ? [] : [quoted(`:${command.argument.name}:(${command.argument.words.join(' ')})`)]),
  ];
  if (specs.length === 0) return `        ${command.name}) ret=0 ;;`;
  return `        ${command.name})\n          _arguments -s -S \\\n            ${specs.join(' \\\n            ')} && ret=0 ;;`;
}

/**
 * The zsh completion script, for compsys (compinit): _qcs-export completes the command, then hands the words after
 * it to _arguments with that command's options.
 */
export function zshScript(model: CompletionModel): string {
  const fn = `_${model.program}`;
  const commands = model.commands.map((c) => `        ${quoted(`${c.name}:${c.summary}`)}`).join('\n');
  return `#compdef ${model.program}
# zsh completion for ${model.program} ${toolVersion}, printed by \`${model.program} completion zsh\`.
# Save it as ${fn} in a directory on $fpath, before compinit runs, or after compinit: source <(${model.program} completion zsh)

${fn}() {
  local curcontext=$curcontext state state_descr line ret=1
  typeset -A opt_args
  _arguments -C \\
    ${model.topOptions.flatMap(optionSpecs).join(' \\\n    ')} \\
    ':command:->command' \\
    '*:: :->argument' && ret=0
  case $state in
    command)
      local -a commands=(
${commands}
      )
      _describe -t commands '${model.program} command' commands && ret=0
      ;;
    argument)
      # Past the command, words holds the command and what follows it (the '*::' above).
      curcontext=\${curcontext%:*:*}:${model.program}-$words[1]:
      case $words[1] in
${model.commands.map(commandArguments).join('\n')}
      esac
      ;;
  esac
  return ret
}

# From $fpath, compinit runs this file as the body of ${fn}: the first call defines the function above and
# completes with it. Sourced, the file only defines it, and compdef names the command it completes.
if [[ $funcstack[1] == ${fn} ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${model.program}
fi
`;
}
