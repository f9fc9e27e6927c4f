import { configFlag, loggerFor, logSettings, parseFlags, redactor, registerAllSecrets } from '../cli-args.js';
import { COMMAND_OPTIONS } from '../command-options.js';
import { loadConfig } from '../config/load.js';
import { formatDiagnosis, runDoctor } from '../doctor.js';
import { sinkPlugins } from '../registry.js';

export async function doctorCommand(argv: string[]): Promise<number> {
  const values = parseFlags('doctor', argv, COMMAND_OPTIONS.doctor);
  const config = await loadConfig(configFlag(values), sinkPlugins);
  registerAllSecrets(config);
  const logger = loggerFor(logSettings(values, 'warn'));
  const outcome = await runDoctor(config, sinkPlugins, logger, new AbortController().signal, (text) => redactor.redact(text));
  if (values['json'] === true) {
    process.stdout.write(`${redactor.redact(JSON.stringify({ exitCode: outcome.exitCode, problem: outcome.problem, ...outcome.report }, null, 2))}\n`);
  } else {
    if (outcome.report) process.stdout.write(`${redactor.redact(formatDiagnosis(outcome.report))}\n`);
    if (outcome.problem) process.stderr.write(`${redactor.redact(`doctor: ${outcome.problem}`)}\n`);
  }
  return outcome.exitCode;
}
