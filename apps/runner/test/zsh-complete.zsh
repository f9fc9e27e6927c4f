# Completes a command line in a real interactive zsh and writes what its completion offered, one per line.
#   zsh -f zsh-complete.zsh SCRIPT LINE OUT [FPATH_DIR]
# SCRIPT is sourced after compinit, or, with FPATH_DIR, compinit finds it there as _qcs-export (the two installs).
#
# Completion runs only inside zle, the line editor of an interactive shell on a terminal, so a second zsh runs on a
# pseudo-terminal (zpty), gets LINE and a TAB typed, and then `exit`. compadd, through which every completion
# function offers its matches, is wrapped to append them to OUT as well.
zmodload zsh/zpty || exit 3
script=$1 line=$2 out=$3 dir=$4
zpty completing zsh -f -i
zpty -w completing "PS1='> '"
[[ -n $dir ]] && zpty -w completing "fpath=(${(q)dir} \$fpath)"
zpty -w completing 'autoload -Uz compinit; compinit -u -D'
[[ -n $dir ]] || zpty -w completing "source ${(q)script}"
# Calls that ask for the matches themselves (-O, -A, -D) are the completion system's own bookkeeping: passed on as they are.
zpty -w completing "compadd() {
  if (( \${@[(I)-[OAD]]} )); then builtin compadd \"\$@\"; return; fi
  local -a matches; builtin compadd -O matches \"\$@\"; (( \$#matches )) && print -rl -- \$matches >> ${(q)out}
  builtin compadd \"\$@\"
}"
# Typed before zle reads the line, LINE and its TAB would wait in the terminal's line buffer for a newline, and zle
# may or may not get them when it switches the terminal to raw input: so type them once zle says it is reading, when
# it starts the next line (zle-line-init). The echo of this line holds LINE""-READY, not LINE-READY: only the
# hook's output matches.
zpty -w completing 'zle-line-init() { print -n LINE""-READY; }; zle -N zle-line-init'
zpty -r completing ignored '*LINE-READY*'
zpty -w -n completing "$line"$'\t'
# Ctrl-U clears the line the completion left, then the shell ends; reading until then waits for the completion.
zpty -w completing $'\x15exit'
while zpty -r completing ignored; do :; done
zpty -d completing
