import type { FieldMapping } from './es-mappings.js';

/*
 * The shapes the store keeps, apart from the store itself, so the alias and expression helpers can read them without
 * importing the store that imports them.
 */

/** An alias as an index keeps it (Elasticsearch's AliasMetadata). */
export interface AliasProps {
  is_write_index?: boolean;
  index_routing?: string;
  search_routing?: string;
  is_hidden?: boolean;
}

export interface StoredDoc {
  _id: string;
  _source: Record<string, unknown>;
  _version: number;
  _seq_no: number;
}

/** An index, or a data stream with its one backing index. */
export interface IndexState {
  name: string;
  /** The index documents are stored in: the name, or `.ds-<name>-<date>-000001` for a data stream. */
  backingIndex: string;
  dataStream: boolean;
  /** The template the index was created from, if any. */
  template: string | undefined;
  uuid: string;
  creationDate: number;
  mappings: FieldMapping;
  docs: Map<string, StoredDoc>;
  /** The aliases that point to this index, by name. */
  aliases: Map<string, AliasProps>;
  /** Versions of deleted documents: a document indexed again after a delete continues from there, as with Elasticsearch's tombstones. */
  tombstones: Map<string, number>;
  seqNo: number;
}
