import { configFlag, LOG_FLAGS, loggerFor, logSettings, parseFlags, redactor, registerAllSecrets } from '../cli-args.js';
import { configNotice } from '../config/discover.js';
import { loadConfig } from '../config/load.js';
import { formatDiagnosis, runDoctor } from '../doctor.js';
import { sinkPlugins } from '../registry.js';

export async function doctorCommand(argv: string[]): Promise<number> {
  const values = parseFlags('doctor', argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, ...LOG_FLAGS });
  const choice = configFlag(values);
  const config = await loadConfig(choice.file, sinkPlugins);
  registerAllSecrets(config);
  const logger = loggerFor(logSettings(values, 'warn'));
  const outcome = await runDoctor(config, sinkPlugins, logger, new AbortController().signal, (text) => redactor.redact(text));
  if (values['json'] === true) {
    process.stdout.write(`${redactor.redact(JSON.stringify({ exitCode: outcome.exitCode, problem: outcome.problem, ...outcome.report }, null, 2))}\n`);
  } else {
    // Which config a found one was is part of what doctor reports, so it leads the report on stdout.
    const notice = configNotice(choice);
    if (notice !== undefined) process.stdout.write(`${notice}\n`);
    if (outcome.report) process.stdout.write(`${redactor.redact(formatDiagnosis(outcome.report))}\n`);
    if (outcome.problem) process.stderr.write(`${redactor.redact(`doctor: ${outcome.problem}`)}\n`);
  }
  return outcome.exitCode;
}
