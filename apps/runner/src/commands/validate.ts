import { ConfigError, CONTAINERS, countNow, createConsoleLogger, isQcsError, type Logger } from '@qcs-export/core';
import { configFlag, parseFlags, redactor, registerAllSecrets } from '../cli-args.js';
import { COMMAND_OPTIONS } from '../command-options.js';
import type { ConfigChoice } from '../config/discover.js';
import { loadConfig } from '../config/load.js';
import { isSimulatorSource, type Config } from '../config/schema.js';
import { ExitCode, exitCodeOf } from '../exit-codes.js';
import { checkDistinctOutputs, outputsOf, sweepOutputs } from '../outputs.js';
import { planOf, type PlanOverrides, type RunPlan } from '../plan.js';
import { sinkPlugins } from '../registry.js';
import { runContextFor } from '../run/run-context.js';
import { incrementalRefusals } from '../sink-declarations.js';
import { prepareSource } from '../source-setup.js';

export async function validateCommand(argv: string[]): Promise<number> {
  const values = parseFlags('validate', argv, COMMAND_OPTIONS.validate);
  const choice = configFlag(values);
  const json = values['json'] === true;
  const { config, plan } = await checkedPlan(choice);
  const connection = values['connect'] === true ? await checkQualysConnection(config, createConsoleLogger({ redactor }), plan.reads) : undefined;
  if (json) {
    const failed = connection?.error !== undefined;
    const outcome = {
      exitCode: connection?.exitCode ?? ExitCode.ok,
      ...(failed ? { error: connection.error } : {}),
      ...plan,
      ...(connection !== undefined ? { connection: connection.report } : {}),
    };
    process.stdout.write(`${redactor.redact(JSON.stringify(outcome, null, 2))}\n`);
    return outcome.exitCode;
  }
  for (const line of connection?.lines ?? []) process.stdout.write(`${line}\n`);
  if (connection?.exitCode !== undefined) return connection.exitCode;
  for (const warning of plan.warnings) process.stdout.write(`⚠ ${warning}\n`);
  process.stdout.write(`${okLine(config, choice, plan)}\n`);
  return ExitCode.ok;
}

/**
 * Loads the config and checks what can be checked without reading Qualys or writing anything (the outputs, stale
 * temporary files, each sink's own pre-flight), then gives the run's plan. `run --dry-run` is the same, with the
 * run's flags.
 */
export async function checkedPlan(choice: ConfigChoice, overrides: PlanOverrides = {}): Promise<{ config: Config; plan: RunPlan }> {
  const config = await loadConfig(choice.file, sinkPlugins);
  registerAllSecrets(config);
  const ctx = runContextFor(config, { sourceLabel: 'validate', logger: createConsoleLogger({ redactor }) });
  checkDistinctOutputs(config.sinks, sinkPlugins, ctx);
  await sweepOutputs(outputsOf(config.sinks, sinkPlugins, ctx), ctx.logger, { dryRun: true });
  for (const sink of config.sinks) await sinkPlugins.get(sink.type)?.check?.(sink.options, ctx);
  // run.state is checked as the config loads; a --state of the command line, as the run would check it.
  const refusals = overrides.statePath !== undefined ? incrementalRefusals(config, sinkPlugins) : [];
  if (refusals.length > 0) throw new ConfigError(['these sinks cannot run with a state (--state):', ...refusals.map((r) => `  ${r}`)].join('\n'));
  return { config, plan: await planOf(config, choice, sinkPlugins, ctx, overrides) };
}

function okLine(config: Config, choice: ConfigChoice, plan: RunPlan): string {
  const containerFilter = config.source.containers.filter.trim();
  const reads = [
    ...(plan.reads.images ? ['images'] : []),
    ...(plan.reads.containers ? [`containers (${containerFilter === '' ? 'every container' : `filter ${containerFilter}`})`] : []),
  ];
  const foundBy = choice.foundBy === undefined ? '' : ` (${choice.foundBy})`;
  const source = isSimulatorSource(config.source) ? 'embedded simulator' : new URL(config.source.baseUrl).origin;
  const sinks = `${config.sinks.length} sink${config.sinks.length === 1 ? '' : 's'} (${config.sinks.map((s) => s.name).join(', ')})`;
  return `config OK: ${config.file}${foundBy}: ${source} → ${sinks}; reads ${reads.join(' and ')}`;
}

interface ConnectionCheck {
  /** ✓ and ✗ lines, as text output prints them. */
  lines: string[];
  report: { origin: string; images?: number | null; containers?: number | null };
  exitCode?: number;
  error?: { code: string; message: string };
}

/**
 * validate --connect: logs in and counts the filter's images (and containers, when it reads them) with one call each;
 * a failure is reported once, with the error's code and message, and gives its exit code.
 */
async function checkQualysConnection(config: Config, logger: Logger, lists: { containers: boolean }): Promise<ConnectionCheck | undefined> {
  if (isSimulatorSource(config.source)) return undefined;
  const origin = new URL(config.source.baseUrl).origin;
  const check: ConnectionCheck = { lines: [], report: { origin } };
  const prepared = await prepareSource(config.source, logger, (text) => redactor.redact(text), config.credentialOrigins, true);
  try {
    const count = await countNow({ client: prepared.client, filter: config.source.filter, request: {} });
    check.report.images = count ?? null;
    check.lines.push(`✓ Qualys ${origin}: logged in; ${count === undefined ? 'no count sent' : `${count.toLocaleString('en-US')} images match the filter`}`);
    if (lists.containers) {
      const filter = config.source.containers.filter.trim() || undefined;
      const containers = await countNow({ client: prepared.client, filter, request: {}, resource: CONTAINERS });
      check.report.containers = containers ?? null;
      const counted =
        containers === undefined ? 'no count sent for the containers' : `${containers.toLocaleString('en-US')} containers match source.containers.filter`;
      check.lines.push(`✓ Qualys ${origin}: ${counted}`);
    }
  } catch (error) {
    const code = isQcsError(error) ? error.code : 'QCS_INTERNAL';
    const message = redactor.redact((error as Error).message);
    check.lines.push(`✗ Qualys ${origin} [${code}]: ${message}`);
    check.exitCode = exitCodeOf(error);
    check.error = { code, message };
  } finally {
    await prepared.close();
  }
  return check;
}
