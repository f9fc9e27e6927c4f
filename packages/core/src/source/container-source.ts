import { listSource } from './list-source.js';
import { CONTAINERS } from './resource.js';
import type { ContainerSource, ImageSourceOptions } from './types.js';

/**
 * Streams every container the server holds for the filter as normalized batches, with the image source's guarantees
 * (strategies, ledger, completeness verdict): the list source over CONTAINERS.
 */
export function containerSource(options: ImageSourceOptions): ContainerSource {
  return listSource(CONTAINERS, options);
}
