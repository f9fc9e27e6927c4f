import { toolVersion } from '../version.js';
import type { CompletedOption, CompletionModel } from './model.js';

/** Text inside '…' in fish, where only a quote and a backslash are special. */
function quoted(text: string): string {
  // "__qcs_export_is ''" reads better than '__qcs_export_is \'\'', and means the same where nothing expands.
  if (/^[^"$\\]*$/.test(text) && text.includes("'")) return `"${text}"`;
  return `'${text.replace(/['\\]/g, '\\$&')}'`;
}

/** How fish completes the option's value: -x no files and a value required, -r -F files, -a the words. */
function valueFlags(option: CompletedOption): string {
  if (option.value === 'none') return '';
  if (option.value === 'config-file') return " -x -a '(__qcs_export_config_files)'";
  if (option.value === 'file') return ' -r -F';
  if (option.value === 'text') return ' -x';
  return ` -x -a ${quoted(option.value.join(' '))}`;
}

function optionLine(program: string, condition: string, option: CompletedOption): string {
  const short = option.short === undefined ? '' : ` -s ${option.short}`;
  return `complete -c ${program} -n ${quoted(condition)}${short} -l ${option.long}${valueFlags(option)} -d ${quoted(option.summary)}`;
}

/**
 * The fish completion script: `complete` lines, each with a condition on the command typed so far, and two helper
 * functions (which command that is; the config files).
 */
export function fishScript(model: CompletionModel): string {
  const p = model.program;
  const lines = [
    ...model.topOptions.map((o) => optionLine(p, "__qcs_export_is ''", o)),
    ...model.commands.map((c) => `complete -c ${p} -n ${quoted("__qcs_export_is ''")} -a ${c.name} -d ${quoted(c.summary)}`),
    ...model.commands.flatMap((c) => [
      ...c.options.map((o) => optionLine(p, `__qcs_export_is ${c.name}`, o)),
      ...(c.argument === undefined ? [] : [`complete -c ${p} -n ${quoted(`__qcs_export_is ${c.name} 0`)} -a ${quoted(c.argument.words.join(' '))}`]),
    ]),
  ];
  return `# fish completion for ${p} ${toolVersion}, printed by \`${p} completion fish\`.
# Save it with: ${p} completion fish > ~/.config/fish/completions/${p}.fish

# Whether the command typed so far (the first word that is no option) is $argv[1], '' while there is none; with
# $argv[2], also whether that many words follow it.
function __qcs_export_is
    set -l words (commandline -opc)
    set -e words[1]
    set -l command ''
    set -l after 0
    for word in $words
        if test -n "$command"
            set after (math $after + 1)
        else if not string match -q -- '-*' $word
            set command $word
        end
    end
    test "$command" = "$argv[1]"; or return 1
    test (count $argv) -lt 2; or test $after -eq $argv[2]
end

# The config files: fish's own completion of file names (it knows ~ and quoting), *.yaml, *.yml and directories kept.
# The token may hold the option too (--config=x, -cx): fish puts it back before each name, so only the name is asked.
function __qcs_export_config_files
    set -l name (commandline -ct | string replace -r -- '^(?:--[^=]*=|-[^-])' '')
    complete -C "__qcs_export_any_file $name" | string match -r -- '^[^\\t]*(?:\\.ya?ml|/)(?:\\t.*)?$'
end

# No file names unless an option takes one.
complete -c ${p} -f
${lines.join('\n')}
`;
}
