import { AbortedError, removeLiveTempFilesSync, UsageError } from '@qcs-export/core';
import { configFlag, LOG_FLAGS, loggerFor, logSettings, parseFlags, redactor, registerAllSecrets } from '../cli-args.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, exitCodeOf } from '../exit-codes.js';
import { outputsOf } from '../outputs.js';
import { createProgress } from '../progress.js';
import { sinkPlugins } from '../registry.js';
import { rejectedError, runExport, type RunResult } from '../run.js';
import { runContextFor } from '../run-context.js';
import { formatSummary } from '../summary.js';

export async function runCommand(argv: string[]): Promise<number> {
  const values = parseFlags('run', argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, ...LOG_FLAGS });
  const config = await loadConfig(configFlag(values), sinkPlugins);
  registerAllSecrets(config);
  const settings = logSettings(values, config.run.logLevel);
  const json = values['json'] === true;
  if (json && outputsOf(config.sinks, sinkPlugins, runContextFor(config, { sourceLabel: 'run' })).some((o) => o.output === 'stdout')) {
    throw new UsageError('--json prints the summary on stdout, but a sink already writes data there ("-"); drop one of them');
  }
  // A bar only for a person at a terminal reading text; elsewhere progress is a periodic log line, which --quiet
  // silences and --log-format json keeps parseable.
  const interactive = process.stderr.isTTY === true && settings.format === 'text' && !settings.quiet;
  const plainLogger = loggerFor(settings);
  const progress = createProgress({ interactive, logger: plainLogger });
  const logger = interactive ? loggerFor(settings, progress.logStream) : plainLogger;

  const controller = new AbortController();
  const onSignal = (name: string) => {
    if (controller.signal.aborted) {
      // A second Ctrl-C: no time to let the sinks abort, but this process's temporary files can still go.
      removeLiveTempFilesSync();
      process.exit(ExitCode.interrupted);
    }
    progress.done();
    process.stderr.write(`\n${name}: stopping; removing partial output (press Ctrl-C again to quit at once)\n`);
    controller.abort(new AbortedError(`interrupted by ${name}`));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const result = await runExport(config, { plugins: sinkPlugins, logger, redact: (text) => redactor.redact(text), signal: controller.signal, progress });
  const rejected = rejectedError(result);
  if (json) {
    const outcome: RunResult & { exitCode: number; error?: { code: string; message: string } } = {
      exitCode: rejected ? exitCodeOf(rejected) : ExitCode.ok,
      ...result,
    };
    if (rejected) outcome.error = { code: rejected.code, message: rejected.message };
    process.stdout.write(`${redactor.redact(JSON.stringify(outcome, null, 2))}\n`);
  } else if (settings.format === 'json') logger.info('run finished', { summary: result });
  else if (!settings.quiet) process.stderr.write(`${redactor.redact(formatSummary(result))}\n`);
  if (rejected) throw rejected;
  return ExitCode.ok;
}
