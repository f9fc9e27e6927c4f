import { normalizeImage } from '../normalize/index.js';
import type { ImageRecord, RecordOrigin } from '../record.js';

/**
 * What the source reads, as far as delivery and completeness care: a list endpoint with a `count`, a key that
 * identifies each record once, the date that tells a record changed during the run, and the noun messages use.
 * Images are the one resource today; containers (/csapi/v1.3/containers, keyed by containerId) would be another.
 */
export interface ListResource<R> {
  /** The plural the messages use: "Qualys counts 12 images". */
  noun: string;
  /** The list endpoint that answers with `{ data, count }`. */
  path: string;
  /** The field of a raw record that identifies it. */
  keyField: string;
  /** The key of a normalized record. */
  key(record: R): string;
  /** When the record last changed, in epoch ms (NaN when unknown). */
  changedAt(record: R): number;
  /** A raw record of `origin` as the record model. */
  normalize(raw: Record<string, unknown>, origin: RecordOrigin): R;
}

export const IMAGES_PATH = '/csapi/v1.3/images';
export const BULK_PATH = '/csapi/v1.3/images/list';

export const IMAGES: ListResource<ImageRecord> = {
  noun: 'images',
  path: IMAGES_PATH,
  keyField: 'sha',
  key: (record) => record.sha,
  changedAt: (record) => (record.updated === null ? Number.NaN : Date.parse(record.updated)),
  normalize: normalizeImage,
};
