/**
 * One document, serialized once: the action line and the source line, ready to join into a bulk body. Its own module
 * because the writer, the request packer and the answer checker all read it, and the writer imports the other two.
 */
export interface BulkEntry {
  id: string | undefined;
  lines: string;
  /** The size of `lines` in bytes, measured once. */
  bytes: number;
}
