import { CONTAINERS, countNow, createConsoleLogger, isQcsError, type Logger } from '@qcs-export/core';
import { configFlag, parseFlags, redactor, registerAllSecrets } from '../cli-args.js';
import { COMMAND_OPTIONS } from '../command-options.js';
import { loadConfig } from '../config/load.js';
import { isSimulatorSource } from '../config/schema.js';
import { ExitCode, exitCodeOf } from '../exit-codes.js';
import { checkDistinctOutputs, outputsOf, sweepOutputs } from '../outputs.js';
import { sinkPlugins } from '../registry.js';
import { runContextFor } from '../run/run-context.js';
import { listsRead } from '../run/run-sinks.js';
import { prepareSource } from '../source-setup.js';

export async function validateCommand(argv: string[]): Promise<number> {
  const values = parseFlags('validate', argv, COMMAND_OPTIONS.validate);
  const config = await loadConfig(configFlag(values), sinkPlugins);
  registerAllSecrets(config);
  const ctx = runContextFor(config, { sourceLabel: 'validate', logger: createConsoleLogger({ redactor }) });
  checkDistinctOutputs(config.sinks, sinkPlugins, ctx);
  await sweepOutputs(outputsOf(config.sinks, sinkPlugins, ctx), ctx.logger, { dryRun: true });
  for (const sink of config.sinks) await sinkPlugins.get(sink.type)?.check?.(sink.options, ctx);
  const lists = listsRead(config.sinks, sinkPlugins);
  if (values['connect'] === true) {
    const failed = await checkQualysConnection(config, ctx.logger, lists);
    if (failed !== undefined) return failed;
  }
  for (const warning of config.warnings ?? []) process.stdout.write(`⚠ ${warning}\n`);
  const containerFilter = config.source.containers.filter.trim();
  const reads = [
    ...(lists.images ? ['images'] : []),
    ...(lists.containers ? [`containers (${containerFilter === '' ? 'every container' : `filter ${containerFilter}`})`] : []),
  ];
  process.stdout.write(
    `config OK: ${config.file}: ${isSimulatorSource(config.source) ? 'embedded simulator' : new URL(config.source.baseUrl).origin} → ` +
      `${config.sinks.length} sink${config.sinks.length === 1 ? '' : 's'} (${config.sinks.map((s) => s.name).join(', ')}); reads ${reads.join(' and ')}\n`,
  );
  return ExitCode.ok;
}

/**
 * validate --connect: logs in and counts the filter's images (and containers, when it reads them) with one call each,
 * printing ✓, or ✗ with the error's code and message once; gives the exit code of a failure, undefined on success.
 */
async function checkQualysConnection(
  config: Awaited<ReturnType<typeof loadConfig>>,
  logger: Logger,
  lists: { containers: boolean },
): Promise<number | undefined> {
  if (isSimulatorSource(config.source)) return undefined;
  const origin = new URL(config.source.baseUrl).origin;
  const prepared = await prepareSource(config.source, logger, (text) => redactor.redact(text), config.credentialOrigins, true);
  try {
    const count = await countNow({ client: prepared.client, filter: config.source.filter, request: {} });
    process.stdout.write(
      `✓ Qualys ${origin}: logged in; ${count === undefined ? 'no count sent' : `${count.toLocaleString('en-US')} images match the filter`}\n`,
    );
    if (lists.containers) {
      const filter = config.source.containers.filter.trim() || undefined;
      const containers = await countNow({ client: prepared.client, filter, request: {}, resource: CONTAINERS });
      const counted =
        containers === undefined ? 'no count sent for the containers' : `${containers.toLocaleString('en-US')} containers match source.containers.filter`;
      process.stdout.write(`✓ Qualys ${origin}: ${counted}\n`);
    }
    return undefined;
  } catch (error) {
    const code = isQcsError(error) ? ` [${error.code}]` : '';
    process.stdout.write(`✗ Qualys ${origin}${code}: ${redactor.redact((error as Error).message)}\n`);
    return exitCodeOf(error);
  } finally {
    await prepared.close();
  }
}
