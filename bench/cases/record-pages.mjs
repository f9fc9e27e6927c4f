// Pages of normalized simulator images for the sink benchmarks: a fixed pool of 5,000, reused page after page,
// so generating data costs nothing, takes no memory that grows with the count, and every case gets the same data.
import { normalizeImage } from '@qcs-export/core';
import { generateImages } from '@qcs-export/qualys-simulator';

const PAGE = 1000;
const pool = generateImages(5 * PAGE, 1).map((raw) => normalizeImage(raw, 'images'));

export function* recordPages(total) {
  for (let done = 0, p = 0; done < total; done += PAGE, p = (p + 1) % 5) yield pool.slice(p * PAGE, p * PAGE + Math.min(PAGE, total - done));
}
