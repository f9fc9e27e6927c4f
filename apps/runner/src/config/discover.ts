import { statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '@qcs-export/core';

/** The variable that names the config when no -c is given: for a container, a CronJob, a shell profile. */
export const CONFIG_VARIABLE = 'QCS_EXPORT_CONFIG';
/** The files looked for in the working directory when neither -c nor the variable names one. */
export const CONFIG_FILE_NAMES = ['qcs-export.yaml', 'qcs-export.yml'] as const;

export interface ConfigChoice {
  file: string;
  /** How the file was found, for the line that says which config a command used; undefined for -c. */
  foundBy?: string;
}

/**
 * The config a command reads: -c when given, else $QCS_EXPORT_CONFIG, else ./qcs-export.yaml or ./qcs-export.yml.
 * Two candidates in the directory are refused rather than one picked, since either could be the one meant.
 */
export function chooseConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ConfigChoice {
  if (flag !== undefined) {
    if (flag === '') throw new UsageError('--config needs a file name');
    return { file: flag };
  }
  const named = env[CONFIG_VARIABLE];
  if (named !== undefined && named !== '') {
    if (!exists(named)) throw new UsageError(`${CONFIG_VARIABLE} names ${named}, which does not exist; fix the variable or pass --config FILE`);
    return { file: named, foundBy: `from $${CONFIG_VARIABLE}` };
  }
  const present = CONFIG_FILE_NAMES.filter((name) => exists(join(cwd, name)));
  if (present.length > 1) throw new UsageError(`both ${present.join(' and ')} are in ${cwd}; remove one, or pass --config FILE`);
  const [found] = present;
  if (found !== undefined) return { file: found, foundBy: 'found in the working directory' };
  throw new UsageError(
    `no config: pass --config FILE (-c FILE), set ${CONFIG_VARIABLE}, or put ${CONFIG_FILE_NAMES.join(' or ')} in the working directory (${cwd})`,
  );
}

/** Whether something is there to read; a directory or a FIFO is left for the loader to refuse with its own words. */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** "config: qcs-export.yaml (found in the working directory)", or undefined when -c named it. */
export function configNotice(choice: ConfigChoice): string | undefined {
  return choice.foundBy === undefined ? undefined : `config: ${choice.file} (${choice.foundBy})`;
}
