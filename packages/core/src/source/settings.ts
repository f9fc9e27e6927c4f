import { ConfigError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { DEFAULT_ADVICE, type SourceAdvice } from './advice.js';
import { IMAGES_RESULT_CAP, type ListResource } from './resource.js';
import type { ImageSourceOptions, SourceStrategy } from './types.js';

export const PAGE_SIZE_LIMITS = { images: { max: 1000, default: 1000 }, bulk: { max: 250, default: 250 } } as const;
/** auto reads by page number up to this share of the cap, leaving room below it for images added during the run. */
const PAGE_NUMBER_SHARE = 0.9;
export const DEFAULT_PAGE_NUMBER_LIMIT = pageNumberLimitFor(IMAGES_RESULT_CAP);

export function pageNumberLimitFor(resultCap: number): number {
  return Math.floor(resultCap * PAGE_NUMBER_SHARE);
}

/** ImageSourceOptions with every default applied and checked. */
export interface SourceSettings {
  strategy: SourceStrategy;
  filter: string | undefined;
  pageSize: number;
  prefetchPages: number;
  concurrency: number;
  maxExclusions: number;
  resultCap: number;
  pageNumberLimit: number;
  logger: Logger;
  advice: SourceAdvice;
}

/**
 * Applies the defaults; a bad value fails before any request, with the option's name. So does a strategy the
 * resource cannot be read with (bulk without a bulk cursor, the keyset without a keyset field).
 */
export function resolveSettings(
  options: ImageSourceOptions,
  resource: Pick<ListResource<unknown>, 'noun' | 'path' | 'resultCap' | 'keysetField' | 'bulk'>,
): SourceSettings {
  const strategy = options.strategy ?? 'auto';
  const advice = options.advice ?? DEFAULT_ADVICE;
  const missing =
    strategy === 'bulk' && resource.bulk === undefined ? 'bulk cursor' : strategy === 'images' && resource.keysetField === undefined ? 'keyset field' : '';
  if (missing !== '') {
    throw new ConfigError(
      `the ${strategy} strategy cannot read ${resource.noun}: GET ${resource.path} has no ${missing}. Use ${advice.useStrategy('auto or pages')}.`,
    );
  }
  const limits = PAGE_SIZE_LIMITS[strategy === 'bulk' ? 'bulk' : 'images'];
  const pageSize = options.pageSize ?? limits.default;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > limits.max) {
    throw new ConfigError(`pageSize must be a whole number from 1 to ${limits.max} for the ${strategy} strategy, got ${pageSize}`);
  }
  const resultCap = options.resultCap ?? resource.resultCap;
  if (!Number.isInteger(resultCap) || resultCap < 1) throw new ConfigError(`resultCap must be a whole number of at least 1, got ${resultCap}`);
  return {
    strategy,
    filter: options.filter?.trim() || undefined,
    pageSize,
    prefetchPages: Math.max(1, options.prefetch ?? 2),
    concurrency: Math.max(1, options.concurrency ?? 4),
    maxExclusions: options.maxExclusions ?? 100,
    resultCap,
    pageNumberLimit: options.pageNumberLimit ?? pageNumberLimitFor(resultCap),
    logger: options.logger ?? silentLogger,
    advice,
  };
}
