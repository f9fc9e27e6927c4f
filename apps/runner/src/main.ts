import { UsageError } from '@qcs-export/core';
import { parseFlags } from './cli-args.js';
import { COMMAND_OPTIONS, TOP_FLAGS } from './command-options.js';
import { completionCommand } from './commands/completion.js';
import { doctorCommand } from './commands/doctor.js';
import { runCommand } from './commands/run.js';
import { simulateCommand } from './commands/simulate.js';
import { validateCommand } from './commands/validate.js';
import { configJsonSchema } from './config/json-schema.js';
import { didYouMean } from './config/suggest.js';
import { ExitCode } from './exit-codes.js';
import { reportError } from './report-error.js';
import { COMMAND_HELP, USAGE } from './help.js';
import { sinkPlugins } from './registry.js';
import { toolVersion } from './version.js';

/** Runs one command line and returns the exit code; every failure is printed here, redacted. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (error) {
    return reportError(error, argv);
  }
}

async function dispatch(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Bare `qcs-export` shows what it can do, as --help does: asking is not an error.
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return ExitCode.ok;
  }
  if (command === 'help') return help(rest[0]);
  if (command === '--version' || command === '-v' || command === '-V') {
    process.stdout.write(`${toolVersion}\n`);
    return ExitCode.ok;
  }
  if (command.startsWith('-')) {
    throw new UsageError(`unknown option "${command}"${didYouMean(command, TOP_FLAGS)}; run qcs-export --help`);
  }
  if (COMMAND_HELP[command] !== undefined && rest.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`${COMMAND_HELP[command]}\n`);
    return ExitCode.ok;
  }
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'validate':
      return validateCommand(rest);
    case 'doctor':
      return doctorCommand(rest);
    case 'simulate':
      return simulateCommand(rest);
    case 'schema':
      parseFlags('schema', rest, COMMAND_OPTIONS.schema);
      process.stdout.write(`${JSON.stringify(configJsonSchema(sinkPlugins), null, 2)}\n`);
      return ExitCode.ok;
    case 'completion':
      return completionCommand(rest);
    default:
      throw new UsageError(`unknown command "${command}"${didYouMean(command, Object.keys(COMMAND_HELP))}; run qcs-export --help`);
  }
}

/** `help` alone is --help; `help COMMAND` is that command's --help. */
function help(command: string | undefined): number {
  if (command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return ExitCode.ok;
  }
  const text = COMMAND_HELP[command];
  if (text === undefined) throw new UsageError(`unknown command "${command}"${didYouMean(command, Object.keys(COMMAND_HELP))}; run qcs-export --help`);
  process.stdout.write(`${text}\n`);
  return ExitCode.ok;
}
