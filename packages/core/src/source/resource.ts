import { ConfigError } from '../errors.js';
import { normalizeImage } from '../normalize/index.js';
import type { ContainerRecord } from '../container-record.js';
import { normalizeContainer } from '../normalize/normalize-container.js';
import type { ImageRecord } from '../record.js';

/** Which of a resource's endpoints a raw record came from, for its normalizer. */
export type ListRead = 'list' | 'bulk';

/** A documented bulk cursor: an endpoint that pages past the result cap with a Link header. */
export interface BulkCursor {
  /** The endpoint, answering with `{ data, count }` and a `Link` to the next page. */
  path: string;
  /**
   * The date the cursor orders by, in the server's own `<field>>=<ms> AND not <exclusionField>: [...]` form, used to
   * continue the cursor after its end.
   */
  cursorField: string;
}

/**
 * Everything the source needs to know about what it reads: a list endpoint with a `count`, paged by number up to a
 * result cap and, if the server applies the forms, by a keyset on a date; optionally a bulk cursor past the cap; a key
 * that identifies each record once, the date that tells a record changed during the run, and the nouns messages use.
 * The strategies, the self-test and the completeness checks read only this: IMAGES and CONTAINERS are the two.
 */
export interface ListResource<R> {
  /** The plural the messages use: "Qualys counts 12 images". */
  noun: string;
  /** The singular: "Qualys returned image 1a2b… out of order". */
  one: string;
  /** The list endpoint that answers with `{ data, count }` and takes filter, sort, pageNumber and pageSize. */
  path: string;
  /** The most records one query of `path` reaches (pageNumber × pageSize) when the caller sets no other. */
  resultCap: number;
  /** The field page numbers sort by, ascending: one that never changes, so records added later land after the pages read. */
  pageNumberSort: string;
  /**
   * The raw epoch-ms field a keyset pages `path` by (undocumented forms, proven by a self-test); none when the list
   * cannot be paged by key. It must be the change date `changedAt` reads: a record changed during the run then moves
   * behind the crawl, where the keyset's tail reads it.
   */
  keysetField?: string;
  /** The documented way past the cap; without one, auto fails loudly when neither page numbers nor a keyset can read all. */
  bulk?: BulkCursor;
  /** The field of a raw record that identifies it. */
  keyField: string;
  /** The field a `not <field>: [...]` filter excludes records by, at a keyset boundary (the bulk cursor's own form). */
  exclusionField: string;
  /** The key of a normalized record. */
  key(record: R): string;
  /** When the record last changed, in epoch ms (NaN when unknown). */
  changedAt(record: R): number;
  /** A raw record read from `read` as the record model. */
  normalize(raw: Record<string, unknown>, read: ListRead): R;
}

export const IMAGES_PATH = '/csapi/v1.3/images';
export const BULK_PATH = '/csapi/v1.3/images/list';
/** Qualys serves at most this many records of one /images query (pageNumber × pageSize); docs/qualys-api.md §1. */
export const IMAGES_RESULT_CAP = 10_000;

export const IMAGES: ListResource<ImageRecord> = {
  noun: 'images',
  one: 'image',
  path: IMAGES_PATH,
  resultCap: IMAGES_RESULT_CAP,
  // `created` is the sort token of the documented /images samples (docs/qualys-api.md §1), and it never changes
  // when an image is rescanned.
  pageNumberSort: 'created',
  // `updated` is what Qualys' own bulk cursor pages by (docs/qualys-api.md §2).
  keysetField: 'updated',
  bulk: { path: BULK_PATH, cursorField: 'updated' },
  keyField: 'sha',
  exclusionField: 'uuid',
  key: (record) => record.sha,
  changedAt: (record) => (record.updated === null ? Number.NaN : Date.parse(record.updated)),
  normalize: (raw, read) => normalizeImage(raw, read === 'bulk' ? 'images/list' : 'images'),
};

export const CONTAINERS_PATH = '/csapi/v1.3/containers';
export const CONTAINERS_BULK_PATH = '/csapi/v1.3/containers/list';
/** Qualys serves at most this many records of one /containers query, as for /images ("Fetch a list of containers"). */
export const CONTAINERS_RESULT_CAP = 10_000;

/**
 * The containers, read by the same strategies as images: page numbers by `created` (set when the container is first
 * seen, never changed), the keyset and the documented bulk cursor by `updated`, which Qualys' own /containers/list
 * Link pages by (`updated>=<ms> AND not uuid: [...]`, the same form as for images).
 */
export const CONTAINERS: ListResource<ContainerRecord> = {
  noun: 'containers',
  one: 'container',
  path: CONTAINERS_PATH,
  resultCap: CONTAINERS_RESULT_CAP,
  pageNumberSort: 'created',
  keysetField: 'updated',
  bulk: { path: CONTAINERS_BULK_PATH, cursorField: 'updated' },
  keyField: 'sha',
  exclusionField: 'uuid',
  key: (record) => record.sha,
  changedAt: (record) => (record.updated === null ? Number.NaN : Date.parse(record.updated)),
  normalize: (raw, read) => normalizeContainer(raw, read === 'bulk' ? 'containers/list' : 'containers'),
};

/** The short form messages name the list by: "/images". */
export function listName(resource: Pick<ListResource<unknown>, 'path'>): string {
  return resource.path.slice(resource.path.lastIndexOf('/'));
}

/**
 * The resource's bulk cursor. Settings refuse `strategy: bulk` for a resource without one and auto never picks it
 * there, so this only fails for a caller that builds the bulk strategy by hand.
 */
export function bulkOf(resource: Pick<ListResource<unknown>, 'noun' | 'bulk'>): BulkCursor {
  if (resource.bulk === undefined) {
    throw new ConfigError(`the ${resource.noun} list has no bulk cursor, so the bulk strategy cannot read it; use strategy auto, pages or images`);
  }
  return resource.bulk;
}
