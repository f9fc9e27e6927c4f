import { EmptyExportError, type Logger, type SourceStats } from '@qcs-export/core';
import type { Config } from '../config/schema.js';

/**
 * A full run that found no image (or, when it reads them, no container) either fails (run.failOnEmpty) or warns, before any sink commits. An incremental run
 * that finds no change is not an empty export: the sinks hold the inventory already.
 */
export function checkNotEmpty(
  config: Config,
  stats: SourceStats,
  coverage: 'full' | 'changes',
  logger: Logger,
  list: { noun: 'image' | 'container'; filter: string | undefined },
): void {
  if (stats.records > 0 || coverage === 'changes') return;
  const what = list.filter ? `the filter ${list.filter}` : 'the subscription';
  const setting = list.noun === 'image' ? 'source.filter' : 'source.containers.filter';
  const outputs = list.noun === 'image' ? 'every output is empty' : 'the container outputs are empty';
  if (config.run.failOnEmpty) {
    throw new EmptyExportError(
      `Qualys holds no ${list.noun} for ${what}; nothing was written (run.failOnEmpty). Check ${setting}, and the user's scope in Qualys.`,
    );
  }
  logger.warn(`Qualys holds no ${list.noun} for ${what}: ${outputs}. Check ${setting}; set run.failOnEmpty: true to make this a failure (exit 5).`);
}
