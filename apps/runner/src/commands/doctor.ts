import { configFlag, loggerFor, logSettings, parseFlags, redactor, registerAllSecrets } from '../cli-args.js';
import { COMMAND_OPTIONS } from '../command-options.js';
import { configNotice } from '../config/discover.js';
import { loadConfig } from '../config/load.js';
import { formatDiagnosis, runDoctor } from '../doctor.js';
import { sinkPlugins } from '../registry.js';
import { reportError } from '../report-error.js';

export async function doctorCommand(argv: string[]): Promise<number> {
  const values = parseFlags('doctor', argv, COMMAND_OPTIONS.doctor);
  const choice = configFlag(values);
  const config = await loadConfig(choice.file, sinkPlugins);
  registerAllSecrets(config);
  const settings = logSettings(values, 'warn');
  const outcome = await runDoctor(config, sinkPlugins, loggerFor(settings), new AbortController().signal, (text) => redactor.redact(text));
  const { error } = outcome;
  if (values['json'] === true) {
    // The shape of `run --json`: the exit code, the error when there is one, then the report.
    const document = { exitCode: outcome.exitCode, ...(error ? { error: { code: error.code, message: error.message } } : {}), ...outcome.report };
    process.stdout.write(`${redactor.redact(JSON.stringify(document, null, 2))}\n`);
  } else {
    // Which config a found one was is part of what doctor reports, so it leads the report on stdout.
    const notice = configNotice(choice);
    if (notice !== undefined) process.stdout.write(`${notice}\n`);
    if (outcome.report) process.stdout.write(`${redactor.redact(formatDiagnosis(outcome.report))}\n`);
  }
  // Said on stderr as any failure is, in the log format asked for; without --json, so stdout gets no second document.
  if (error) reportError(error, ['doctor', ...(settings.format === 'json' ? ['--log-format=json'] : [])]);
  return outcome.exitCode;
}
