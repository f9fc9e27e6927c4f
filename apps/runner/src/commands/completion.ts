import { UsageError } from '@qcs-export/core';
import { SHELLS, type Shell } from '../command-options.js';
import { completionScript } from '../completion/script.js';
import { didYouMean } from '../config/suggest.js';
import { ExitCode } from '../exit-codes.js';

/** `completion SHELL`: prints the script, for the user to source or save (the command's help says where). */
export function completionCommand(argv: string[]): number {
  const [shell, ...extra] = argv;
  const choose = `choose ${SHELLS.join(', ')}; run qcs-export completion --help`;
  if (shell === undefined) throw new UsageError(`completion needs a shell: ${choose}`);
  if (shell.startsWith('-')) throw new UsageError(`unknown option "${shell}"; run qcs-export completion --help`);
  if (!isShell(shell)) throw new UsageError(`no completion for the shell "${shell}"${didYouMean(shell, SHELLS)}; ${choose}`);
  if (extra.length > 0) throw new UsageError(`completion takes one shell, got also "${extra.join(' ')}"; run qcs-export completion --help`);
  process.stdout.write(completionScript(shell));
  return ExitCode.ok;
}

function isShell(word: string): word is Shell {
  return (SHELLS as readonly string[]).includes(word);
}
