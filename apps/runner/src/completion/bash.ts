import { toolVersion } from '../version.js';
import type { CompletedCommand, CompletedOption, CompletionModel } from './model.js';

/** Both spellings of each option, as a command line has them. */
function spellings(options: readonly CompletedOption[]): string[] {
  return options.flatMap((o) => [`--${o.long}`, ...(o.short === undefined ? [] : [`-${o.short}`])]);
}

/**
 * The `case` branches that complete an option's value: one per kind of value, its pattern every `command option`
 * pair that takes it.
 */
function valueBranches(commands: readonly CompletedCommand[]): string[] {
  const byAction = new Map<string, string[]>();
  for (const command of commands) {
    for (const option of command.options) {
      if (option.value === 'none') continue;
      const action =
        option.value === 'config-file'
          ? '_qcs_export_files "$cur" yaml'
          : option.value === 'file'
            ? '_qcs_export_files "$cur"'
            : option.value === 'text'
              ? ':'
              : `COMPREPLY=($(compgen -W '${option.value.join(' ')}' -- "$cur"))`;
      const patterns = spellings([option]).map((flag) => `'${command.name} ${flag}'`);
      byAction.set(action, [...(byAction.get(action) ?? []), ...patterns]);
    }
  }
  return [...byAction].map(([action, patterns]) => `    ${patterns.join('|')}) ${action}; return ;;`);
}

/** The `case` branches that complete a word that is no option's value: an option, or the command's own word. */
function wordBranches(model: CompletionModel): string[] {
  const top = `    '') [[ $cur == -* ]] && words='${spellings(model.topOptions).join(' ')}' || words='${model.commands.map((c) => c.name).join(' ')}' ;;`;
  const commands = model.commands.map((c) => {
    const options = spellings(c.options).join(' ');
    if (c.argument === undefined) return `    ${c.name}) words='${options}' ;;`;
    // Its word once, first; after it only options, if it has any.
    return `    ${c.name}) [[ $cur == -* ]] && words='${options}' || { ((after == 0)) && words='${c.argument.words.join(' ')}'; } ;;`;
  });
  return [top, ...commands];
}

/**
 * The bash completion script: a function that reads COMP_WORDS and fills COMPREPLY, and `complete -F` naming it.
 * It needs no bash-completion package, and holds to bash 3.2 (macOS) except where noted.
 */
export function bashScript(model: CompletionModel): string {
  const fn = '_qcs_export';
  return `# bash completion for ${model.program} ${toolVersion}, printed by \`${model.program} completion bash\`.
# Load it with: source <(${model.program} completion bash)
# or save it as ~/.local/share/bash-completion/completions/${model.program} to load it when first needed.

# Files matching $1, and directories (with a "/") to descend into; with $2 = yaml, only *.yaml and *.yml files.
${fn}_files() {
  local path
  # bash 4+: quote what is inserted, and put no space after a directory (bash 3.2 has no compopt: spaces, then).
  compopt -o filenames 2>/dev/null
  while IFS= read -r path; do
    if [[ -d $path ]]; then
      COMPREPLY+=("$path/")
    elif [[ $2 != yaml || $path == *.yaml || $path == *.yml ]]; then
      COMPREPLY+=("$path")
    fi
  done < <(compgen -f -- "$1")
}

${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} option='' command='' words='' joined=0 i
  local -i after=0
  COMPREPLY=()
  # bash splits --log-format=json at the "=" (COMP_WORDBREAKS): the option is then the word before the "=".
  if [[ $cur == = ]]; then
    option=$prev cur='' joined=1
  elif [[ $prev == = ]] && ((COMP_CWORD > 2)); then
    option=\${COMP_WORDS[COMP_CWORD-2]} joined=1
  elif [[ $prev == -* ]]; then
    option=$prev
  fi
  # The command is the first word that is no option; 'after' counts the words between it and the one completed.
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ -n $command ]]; then
      after+=1
    elif [[ \${COMP_WORDS[i]} != -* ]]; then
      command=\${COMP_WORDS[i]}
    fi
  done
  case "$command $option" in
${valueBranches(model.commands).join('\n')}
  esac
  # A switch has no value: after --json= there is nothing to offer.
  ((joined)) && return
  case $command in
${wordBranches(model).join('\n')}
    *) return ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -F ${fn} ${model.program}
`;
}
