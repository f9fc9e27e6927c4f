#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { AbortedError, countNow, createConsoleLogger, ExitCode, isQcsError, Redactor, removeLiveTempFilesSync, UsageError, type Logger, type LogLevel } from '@qcs-export/core';
import { describeSimulator, startSimulator } from '@qcs-export/qualys-simulator';
import { configJsonSchema } from './config/json-schema.js';
import { loadConfig } from './config/load.js';
import { isSimulatorSource } from './config/schema.js';
import { didYouMean } from './config/suggest.js';
import { formatDiagnosis, runDoctor } from './doctor.js';
import { COMMAND_HELP, USAGE } from './help.js';
import { checkDistinctOutputs, outputsOf, sweepOutputs } from './outputs.js';
import { createProgress } from './progress.js';
import { sinkPlugins } from './registry.js';
import { rejectedError, runExport } from './run.js';
import { runContextFor } from './run-context.js';
import { prepareSource, registerSecrets } from './source-setup.js';
import { formatSummary } from './summary.js';
import { toolVersion } from './version.js';


const redactor = new Redactor();

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? ExitCode.invalidConfig : ExitCode.ok;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${toolVersion}\n`);
    return ExitCode.ok;
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
      args('schema', rest);
      process.stdout.write(`${JSON.stringify(configJsonSchema(sinkPlugins), null, 2)}\n`);
      return ExitCode.ok;
    default:
      throw new UsageError(`unknown command "${command}"${didYouMean(command, Object.keys(COMMAND_HELP))}; run qcs-export --help`);
  }
}

function args(command: string, argv: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options'] = {}) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec((error as Error).message)?.[1];
    const hint = unknown ? didYouMean(unknown, Object.keys(options).map((o) => `--${o}`)) : '';
    throw new UsageError(`${(error as Error).message}${hint}; run qcs-export ${command} --help`);
  }
}

/** Every credential in the config, source and sinks, so no log line or error can print it. */
function registerAllSecrets(config: Awaited<ReturnType<typeof loadConfig>>): void {
  registerSecrets(config.source, redactor);
  for (const sink of config.sinks) for (const secret of sinkPlugins.get(sink.type)?.secrets?.(sink.options) ?? []) redactor.add(secret);
}

function configFlag(values: Record<string, string | boolean | undefined>): string {
  const file = values['config'];
  if (typeof file !== 'string' || file === '') throw new UsageError('--config FILE (or -c FILE) is required');
  return file;
}

async function runCommand(argv: string[]): Promise<number> {
  const values = args('run', argv, { config: { type: 'string', short: 'c' }, 'log-level': { type: 'string' }, json: { type: 'boolean' } });
  const config = await loadConfig(configFlag(values), sinkPlugins);
  registerAllSecrets(config);
  const level = (values['log-level'] as LogLevel | undefined) ?? config.run.logLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new UsageError(`--log-level must be debug, info, warn or error`);
  const json = values['json'] === true;
  if (json && outputsOf(config.sinks, sinkPlugins, runContextFor(config, { sourceLabel: 'run' })).some((o) => o.output === 'stdout')) {
    throw new UsageError('--json prints the summary on stdout, but a sink already writes data there ("-"); drop one of them');
  }
  const logger = createConsoleLogger({ level, redactor });
  const controller = new AbortController();
  const onSignal = (name: string) => {
    if (controller.signal.aborted) {
      // A second Ctrl-C: no time to let the sinks abort, but this process's temporary files can still go.
      removeLiveTempFilesSync();
      process.exit(ExitCode.interrupted);
    }
    process.stderr.write(`\n${name}: stopping; removing partial output (press Ctrl-C again to quit at once)\n`);
    controller.abort(new AbortedError(`interrupted by ${name}`));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const result = await runExport(config, { plugins: sinkPlugins, logger, redact: (text) => redactor.redact(text), signal: controller.signal, progress: createProgress() });
  if (json) process.stdout.write(`${redactor.redact(JSON.stringify(result, null, 2))}\n`);
  else process.stderr.write(`${redactor.redact(formatSummary(result))}\n`);
  const rejected = rejectedError(result);
  if (rejected) throw rejected;
  return ExitCode.ok;
}

async function validateCommand(argv: string[]): Promise<number> {
  const values = args('validate', argv, { config: { type: 'string', short: 'c' }, connect: { type: 'boolean' } });
  const config = await loadConfig(configFlag(values), sinkPlugins);
  registerAllSecrets(config);
  const ctx = runContextFor(config, { sourceLabel: 'validate', logger: createConsoleLogger({ redactor }) });
  checkDistinctOutputs(config.sinks, sinkPlugins, ctx);
  await sweepOutputs(outputsOf(config.sinks, sinkPlugins, ctx), ctx.logger, { dryRun: true });
  for (const sink of config.sinks) await sinkPlugins.get(sink.type)?.check?.(sink.options, ctx);
  if (values['connect'] === true) await checkQualysConnection(config, ctx.logger);
  process.stdout.write(`config OK: ${config.file}: ${isSimulatorSource(config.source) ? 'embedded simulator' : new URL(config.source.baseUrl).origin} → ${config.sinks.length} sink${config.sinks.length === 1 ? '' : 's'} (${config.sinks.map((s) => s.name).join(', ')})\n`);
  return ExitCode.ok;
}

/** validate --connect: logs in and counts the filter's images with one call, printing ✓ or ✗. */
async function checkQualysConnection(config: Awaited<ReturnType<typeof loadConfig>>, logger: Logger): Promise<void> {
  if (isSimulatorSource(config.source)) return;
  const origin = new URL(config.source.baseUrl).origin;
  const prepared = await prepareSource(config.source, logger, (text) => redactor.redact(text));
  try {
    const count = await countNow({ client: prepared.client, filter: config.source.filter, request: {} });
    process.stdout.write(`✓ Qualys ${origin}: logged in; ${count === undefined ? 'no count sent' : `${count.toLocaleString('en-US')} images match the filter`}\n`);
  } catch (error) {
    process.stdout.write(`✗ Qualys ${origin}: ${redactor.redact((error as Error).message)}\n`);
    throw error;
  } finally {
    await prepared.close();
  }
}

async function doctorCommand(argv: string[]): Promise<number> {
  const values = args('doctor', argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, 'log-level': { type: 'string' } });
  const config = await loadConfig(configFlag(values), sinkPlugins);
  registerAllSecrets(config);
  const logger = createConsoleLogger({ level: (values['log-level'] as LogLevel | undefined) ?? 'warn', redactor });
  const outcome = await runDoctor(config, logger, new AbortController().signal, (text) => redactor.redact(text));
  if (values['json'] === true) {
    process.stdout.write(`${redactor.redact(JSON.stringify({ exitCode: outcome.exitCode, problem: outcome.problem, ...outcome.report }, null, 2))}\n`);
  } else {
    if (outcome.report) process.stdout.write(`${redactor.redact(formatDiagnosis(outcome.report))}\n`);
    if (outcome.problem) process.stderr.write(`${redactor.redact(`doctor: ${outcome.problem}`)}\n`);
  }
  return outcome.exitCode;
}

async function simulateCommand(argv: string[]): Promise<number> {
  const values = args('simulate', argv, { port: { type: 'string' }, images: { type: 'string' }, seed: { type: 'string' }, latency: { type: 'string' } });
  const int = (name: string, fallback: number) => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got "${String(raw)}"`);
    return n;
  };
  const port = int('port', 8089);
  if (port > 65_535) throw new UsageError(`--port must be from 0 to 65535, got ${port}`);
  // Dates relative to today, so relative filters in the shipped examples (imagesInUse:'[now-30d ... now]') match.
  const sim = await startSimulator({ port, images: int('images', 2000), seed: int('seed', 1), latencyMs: int('latency', 0), now: Date.now() }).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on 127.0.0.1 is in use; choose another with --port N (0 picks a free one)`);
    if (code === 'EACCES') throw new UsageError(`port ${port} needs privileges this user lacks; choose a port above 1023 with --port N`);
    throw error;
  });
  process.stdout.write(`${describeSimulator(sim)}\nCtrl-C stops it.\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  return ExitCode.ok;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isQcsError(error)) {
      process.stderr.write(`${redactor.redact(`error [${error.code}]: ${error.message}`)}\n`);
      process.exitCode = error.exitCode;
    } else {
      const e = error as Error;
      process.stderr.write(`${redactor.redact(`internal error: ${e?.message ?? String(error)}`)}\n`);
      if (process.env['QCS_DEBUG']) process.stderr.write(`${redactor.redact(String(e?.stack))}\n`);
      process.exitCode = ExitCode.failed;
    }
  },
);
