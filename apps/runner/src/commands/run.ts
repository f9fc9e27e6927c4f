import { UsageError } from '@qcs-export/core';
import { type Flags, loggerFor, logSettings, parseFlags, redactor, registerAllSecrets } from '../cli-args.js';
import { COMMAND_OPTIONS } from '../command-options.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, exitCodeOf, worstExitCode } from '../exit-codes.js';
import { type Interrupts, watchInterrupts } from '../interrupt.js';
import { outputsOf } from '../outputs.js';
import { createProgress } from '../progress.js';
import { sinkPlugins } from '../registry.js';
import { reportError } from '../report-error.js';
import { rejectedError } from '../run/result.js';
import { runContextFor } from '../run/run-context.js';
import { scheduledRun, type ScheduledRunResult } from '../run/scheduled-run.js';
import { formatSummary } from '../summary.js';

export async function runCommand(argv: string[]): Promise<number> {
  const values = parseFlags('run', argv, COMMAND_OPTIONS.run);
  const files = (values['config'] as string[] | undefined) ?? [];
  if (files.length === 0 || files.some((f) => f === '')) throw new UsageError('--config FILE (or -c FILE) is required');
  if (files.length > 1) {
    for (const flag of ['state', 'manifest', 'compare-to', 'json'] as const) {
      if (values[flag] !== undefined) {
        const setting = flag === 'json' ? 'manifest' : flag === 'compare-to' ? 'compareTo' : flag;
        throw new UsageError(`--${flag} applies to one config; with several -c, give each config its own run.${setting}`);
      }
    }
  }
  let progressDone: () => void = () => undefined;
  const interrupts = watchInterrupts({ onFirst: () => progressDone() });
  const onProgress = (done: () => void) => (progressDone = done);
  const run = (file: string) => runOne(file, values, interrupts, onProgress);
  try {
    if (files.length === 1) return await run(files[0] as string);
    // Several subscriptions, one after another, each with its own state and manifest; an interrupt stops the rest.
    const codes: number[] = [];
    for (const file of files) {
      if (interrupts.signal.aborted) break;
      try {
        codes.push(await run(file));
      } catch (error) {
        codes.push(reportError(error, ['run'], `${file}: `));
      }
    }
    return interrupts.exitCode() ?? worstExitCode(codes);
  } catch (error) {
    // Whatever the run failed with once a signal came (an aborted request, a login cut short), the signal decides the code.
    const code = interrupts.exitCode();
    if (code === undefined) throw error;
    reportError(error, ['run', ...argv]);
    return code;
  } finally {
    // The command is over; main may be called again in this process (an embedding program, the tests).
    interrupts.stop();
  }
}

async function runOne(file: string, values: Flags, interrupts: Interrupts, onProgress: (done: () => void) => void): Promise<number> {
  const config = await loadConfig(file, sinkPlugins, process.env, { signal: interrupts.signal });
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
  for (const warning of config.warnings ?? []) plainLogger.warn(warning);
  const progress = createProgress({ interactive, logger: plainLogger });
  onProgress(() => progress.done());
  const logger = interactive ? loggerFor(settings, progress.logStream) : plainLogger;

  const result: ScheduledRunResult = await scheduledRun(config, {
    plugins: sinkPlugins,
    logger,
    redact: (text) => redactor.redact(text),
    signal: interrupts.signal,
    interruptExitCode: () => interrupts.exitCode(),
    progress,
    ...(typeof values['state'] === 'string' ? { statePath: values['state'] } : {}),
    ...(typeof values['manifest'] === 'string' ? { manifestPath: values['manifest'] } : {}),
    ...(typeof values['compare-to'] === 'string' ? { compareTo: values['compare-to'] } : {}),
    fullRefresh: values['full-refresh'] === true,
    noStateUpdate: values['no-state-update'] === true,
  });
  const rejected = rejectedError(result);
  if (json) {
    const outcome: ScheduledRunResult & { exitCode: number; error?: { code: string; message: string } } = {
      exitCode: rejected ? exitCodeOf(rejected) : ExitCode.ok,
      ...result,
    };
    if (rejected) outcome.error = { code: rejected.code, message: rejected.message };
    process.stdout.write(`${redactor.redact(JSON.stringify(outcome, null, 2))}\n`);
  } else if (settings.format === 'json') logger.info('run finished', { summary: result });
  else if (!settings.quiet) process.stderr.write(`${redactor.redact(formatSummary(result))}\n`);
  if (rejected) {
    if (!json) throw rejected;
    // The one document on stdout already carries the error: say it on stderr as for any failure, and print no second.
    return reportError(rejected, ['run', ...(settings.format === 'json' ? ['--log-format=json'] : [])]);
  }
  return ExitCode.ok;
}
