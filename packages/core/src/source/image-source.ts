import { listSource } from './list-source.js';
import { IMAGES } from './resource.js';
import type { ImageSource, ImageSourceOptions } from './types.js';

/**
 * Streams every image the server holds for the filter as normalized batches (README "Strategies", "How a run knows
 * it is complete"): the list source over IMAGES.
 */
export function imageSource(options: ImageSourceOptions): ImageSource {
  return listSource(IMAGES, options);
}
