import { UsageError } from '@qcs-export/core';
import { type Flags, flagLogSettings, loggerFor, logSettings, parseFlags, redactor, registerAllSecrets } from '../cli-args.js';
import { COMMAND_OPTIONS } from '../command-options.js';
import { chooseConfig, type ConfigChoice, configNotice } from '../config/discover.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, exitCodeOf, worstExitCode } from '../exit-codes.js';
import { type Interrupts, type StopNoticeLogging, watchInterrupts } from '../interrupt.js';
import { outputsOf } from '../outputs.js';
import { formatPlan, type PlanOverrides } from '../plan.js';
import { createProgress } from '../progress.js';
import { sinkPlugins } from '../registry.js';
import { reportError } from '../report-error.js';
import { rejectedError } from '../run/result.js';
import { runContextFor } from '../run/run-context.js';
import { scheduledRun, type ScheduledRunResult } from '../run/scheduled-run.js';
import { formatSummary } from '../summary.js';
import { checkedPlan } from './validate.js';

export async function runCommand(argv: string[]): Promise<number> {
  const values = parseFlags('run', argv, COMMAND_OPTIONS.run);
  const given = (values['config'] as string[] | undefined) ?? [];
  if (given.some((f) => f === '')) throw new UsageError('--config needs a file name');
  const choices: ConfigChoice[] = given.length === 0 ? [chooseConfig(undefined)] : given.map((file) => ({ file }));
  if (choices.length > 1) {
    for (const flag of ['state', 'manifest', 'compare-to', 'json'] as const) {
      if (values[flag] !== undefined) {
        const setting = flag === 'json' ? 'manifest' : flag === 'compare-to' ? 'compareTo' : flag;
        throw new UsageError(`--${flag} applies to one config; with several -c, give each config its own run.${setting}`);
      }
    }
  }
  if (values['dry-run'] === true) return dryRun(choices, values);
  let progressDone: () => void = () => undefined;
  // A signal while the config loads is told in the flags' log format; once a run has its logger, in that.
  const early = flagLogSettings(values);
  let logging: StopNoticeLogging = { logger: loggerFor(early), format: early.format };
  const interrupts = watchInterrupts({ onFirst: () => progressDone(), logging: () => logging });
  const hooks: RunHooks = {
    interrupts,
    onProgress: (done) => (progressDone = done),
    onLogging: (known) => (logging = known),
  };
  const run = (choice: ConfigChoice) => runOne(choice, values, hooks);
  try {
    if (choices.length === 1) return await run(choices[0] as ConfigChoice);
    // Several subscriptions, one after another, each with its own state and manifest; an interrupt stops the rest.
    const codes: number[] = [];
    for (const choice of choices) {
      if (interrupts.signal.aborted) break;
      try {
        codes.push(await run(choice));
      } catch (error) {
        codes.push(reportError(error, ['run'], `${choice.file}: `));
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

/** What a run tells the command about itself, for the first signal: how to clear its progress line, and its logger. */
interface RunHooks {
  interrupts: Interrupts;
  onProgress(done: () => void): void;
  onLogging(logging: StopNoticeLogging): void;
}

async function runOne(choice: ConfigChoice, values: Flags, { interrupts, onProgress, onLogging }: RunHooks): Promise<number> {
  const { file } = choice;
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
  const notice = configNotice(choice);
  if (notice !== undefined) plainLogger.info(notice);
  for (const warning of config.warnings ?? []) plainLogger.warn(warning);
  const progress = createProgress({ interactive, logger: plainLogger });
  onProgress(() => progress.done());
  const logger = interactive ? loggerFor(settings, progress.logStream) : plainLogger;
  onLogging({ logger, format: settings.format });

  // The line ends with the run however it ends, a failed login too: the error line then starts a line of its own.
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
  }).finally(() => progress.done());
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

/**
 * run --dry-run: the checks validate makes and the plan of each config (with this command line's --state, --manifest
 * and --compare-to), printed instead of running: nothing is read from Qualys and nothing is written.
 */
async function dryRun(choices: readonly ConfigChoice[], values: Flags): Promise<number> {
  const overrides: PlanOverrides = {
    ...(typeof values['state'] === 'string' ? { statePath: values['state'] } : {}),
    ...(typeof values['manifest'] === 'string' ? { manifestPath: values['manifest'] } : {}),
    ...(typeof values['compare-to'] === 'string' ? { compareTo: values['compare-to'] } : {}),
    fullRefresh: values['full-refresh'] === true,
  };
  for (const choice of choices) {
    const { plan } = await checkedPlan(choice, overrides);
    if (values['json'] === true) process.stdout.write(`${redactor.redact(JSON.stringify({ exitCode: ExitCode.ok, dryRun: true, ...plan }, null, 2))}\n`);
    else process.stdout.write(`${redactor.redact(formatPlan(plan))}\ndry run: nothing was read or written\n`);
  }
  return ExitCode.ok;
}
