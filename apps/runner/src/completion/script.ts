import type { Shell } from '../command-options.js';
import { bashScript } from './bash.js';
import { fishScript } from './fish.js';
import { completionModel } from './model.js';
import { zshScript } from './zsh.js';

const generators: Record<Shell, typeof bashScript> = { bash: bashScript, zsh: zshScript, fish: fishScript };

/** The completion script for a shell, generated from the commands' options (command-options.ts). */
export function completionScript(shell: Shell): string {
  return generators[shell](completionModel());
}
