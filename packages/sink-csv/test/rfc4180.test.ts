import { describe, expect, it } from 'vitest';
import { parseRfc4180, Rfc4180Error } from './rfc4180.js';

// The strict reader is the judge in csv-line-breaks.test.ts, so it is checked on its own first: a lenient judge
// would let the bug through again.
describe('strict RFC 4180 reader', () => {
  it('reads plain, quoted and empty fields, with or without a final CRLF', () => {
    expect(parseRfc4180('a,b\r\nc,d\r\n')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(parseRfc4180('a,b\r\nc,d')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(parseRfc4180(',\r\n,')).toEqual([
      ['', ''],
      ['', ''],
    ]);
    expect(parseRfc4180('"x ""y"", z","l1\nl2\rl3\r\nl4"\r\n')).toEqual([['x "y", z', 'l1\nl2\rl3\r\nl4']]);
    expect(parseRfc4180('""\r\n')).toEqual([['']]);
    expect(parseRfc4180('')).toEqual([]);
  });

  it('takes another delimiter and LF records when told to', () => {
    expect(parseRfc4180('a;"b;c"\n"d\r\ne";f\n', { delimiter: ';', recordDelimiter: '\n' })).toEqual([
      ['a', 'b;c'],
      ['d\r\ne', 'f'],
    ]);
  });

  it.each([
    ['a bare LF in an unquoted field', 'a,multi\nline\r\n', 7, /bare LF/],
    ['a bare CR in an unquoted field', 'a,car\rriage\r\n', 5, /bare CR/],
    ['a quote in an unquoted field', 'a,say "hi"\r\n', 6, /quote inside an unquoted field/],
    ['text after a closing quote', '"a"b,c\r\n', 3, /unexpected "b"/],
    ['an unclosed quote', 'a,"open\r\n', 2, /never closed/],
    ['a record with another field count', 'a,b\r\nc\r\n', 6, /1 fields, the first had 2/],
  ])('throws on %s, with the position', (_name, text, offset, message) => {
    let error: unknown;
    try {
      parseRfc4180(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Rfc4180Error);
    expect((error as Rfc4180Error).offset).toBe(offset);
    expect((error as Rfc4180Error).message).toMatch(message);
    expect((error as Rfc4180Error).message).toContain(`at offset ${offset}`);
  });

  it('in LF mode, a CR is as bare as an LF is in CRLF mode', () => {
    expect(() => parseRfc4180('a,b\r\n', { recordDelimiter: '\n' })).toThrow(/bare CR inside an unquoted field at offset 3/);
  });
});
