/** `size` images sharing one value of `field`, so clients meet a tie group of a known size. */
export interface Ties {
  field: 'created' | 'updated';
  size: number;
}

/** What applyTies reads and writes of an image: structural, so this module need not import the data model. */
type Dated = Record<Ties['field'], string>;

/**
 * Gives the first `size` images (all, if fewer) one value of the field: the median of that field over the whole
 * set. The median lies inside the data range and, for `updated`, is not the newest value, so the group sits in
 * the middle of a keyset crawl rather than at its end. Deterministic: it depends on the images only.
 */
export function applyTies(images: Dated[], ties: Ties): void {
  const n = Math.min(Math.max(0, Math.floor(ties.size)), images.length);
  if (n === 0) return;
  const values = images.map((i) => Number(i[ties.field])).sort((a, b) => a - b);
  const value = String(values[Math.floor((values.length - 1) / 2)]);
  for (let k = 0; k < n; k++) (images[k] as Dated)[ties.field] = value;
}
