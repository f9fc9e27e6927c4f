import { EmptyExportError, type Logger, type SourceStats } from '@qcs-export/core';
import type { Config } from '../config/schema.js';

/**
 * A full run that found no image either fails (run.failOnEmpty) or warns, before any sink commits. An incremental run
 * that finds no change is not an empty export: the sinks hold the inventory already.
 */
export function checkNotEmpty(config: Config, stats: SourceStats, coverage: 'full' | 'changes', logger: Logger): void {
  if (stats.records > 0 || coverage === 'changes') return;
  const what = config.source.filter ? `the filter ${config.source.filter}` : 'the subscription';
  if (config.run.failOnEmpty) {
    throw new EmptyExportError(
      `Qualys holds no image for ${what}; nothing was written (run.failOnEmpty). Check source.filter, and the user's scope in Qualys.`,
    );
  }
  logger.warn(`Qualys holds no image for ${what}: every output is empty. Check source.filter; set run.failOnEmpty: true to make this a failure (exit 5).`);
}
