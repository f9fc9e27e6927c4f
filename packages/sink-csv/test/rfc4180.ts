/**
 * A deliberately strict RFC 4180 reader for tests. csv-parse is lenient (it auto-detects line endings and
 * recovers from some malformed input), so it can read back a file that Python's csv module, LibreOffice or
 * Excel would split differently. This reader accepts only the strict grammar and throws, with the position,
 * on anything else, so a test that passes through it proves the file has exactly one meaning.
 *
 *   file   = record *(recordDelimiter record) [recordDelimiter]
 *   record = field *(delimiter field)
 *   field  = quoted / unquoted
 *   quoted = '"' *(any character except '"' / '""') '"'
 *   unquoted = *(any character except CR, LF, '"' and the delimiter)
 *
 * Every record must have as many fields as the first one. A byte order mark is not special here: callers
 * strip it, so a stray BOM anywhere else shows up as data.
 */

export interface Rfc4180Options {
  /** Field separator, one character other than CR, LF and '"'. Default: ",". */
  delimiter?: string;
  /** "\r\n" as RFC 4180 says, or "\n" for the sink's lineEnding: "lf". Default: "\r\n". */
  recordDelimiter?: '\r\n' | '\n';
}

export class Rfc4180Error extends Error {
  constructor(
    message: string,
    /** UTF-16 offset into the text where the reader gave up. */
    readonly offset: number,
    /** 1-based record and field the reader was in. */
    readonly record: number,
    readonly field: number,
  ) {
    super(`${message} at offset ${offset} (record ${record}, field ${field})`);
    this.name = 'Rfc4180Error';
  }
}

const show = (ch: string) => JSON.stringify(ch);

export function parseRfc4180(text: string, options: Rfc4180Options = {}): string[][] {
  const delimiter = options.delimiter ?? ',';
  const recordDelimiter = options.recordDelimiter ?? '\r\n';
  if (delimiter.length !== 1 || '\r\n"'.includes(delimiter)) throw new Error(`unusable delimiter ${show(delimiter)}`);

  const records: string[][] = [];
  let fields: string[] = [];
  let i = 0;
  const fail = (message: string, at: number): never => {
    throw new Rfc4180Error(message, at, records.length + 1, fields.length + 1);
  };
  const endRecord = (at: number) => {
    const expected = records[0]?.length;
    if (expected !== undefined && fields.length !== expected) fail(`record has ${fields.length} fields, the first had ${expected}`, at);
    records.push(fields);
    fields = [];
  };

  if (text === '') return records;
  for (;;) {
    let value: string;
    if (text[i] === '"') {
      const start = i;
      i++;
      value = '';
      for (;;) {
        const close = text.indexOf('"', i);
        if (close < 0) fail('quoted field is never closed', start);
        value += text.slice(i, close);
        // A doubled quote is a literal quote; a single one closes the field.
        if (text[close + 1] === '"') {
          value += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
    } else {
      const start = i;
      while (i < text.length && !'\r\n"'.includes(text[i] as string) && text[i] !== delimiter) i++;
      value = text.slice(start, i);
      // The separators are checked below; here only what may never appear in an unquoted field.
      if (text[i] === '"') fail('quote inside an unquoted field', i);
      if ((text[i] === '\r' || text[i] === '\n') && !text.startsWith(recordDelimiter, i)) {
        fail(`bare ${text[i] === '\r' ? 'CR' : 'LF'} inside an unquoted field`, i);
      }
    }
    fields.push(value);

    if (i === text.length) {
      endRecord(i);
      return records;
    }
    if (text[i] === delimiter) {
      i++;
      continue;
    }
    if (text.startsWith(recordDelimiter, i)) {
      endRecord(i);
      i += recordDelimiter.length;
      // A final record delimiter ends the file; it does not start an empty record.
      if (i === text.length) return records;
      continue;
    }
    fail(`unexpected ${show(text[i] as string)} after a field`, i);
  }
}
