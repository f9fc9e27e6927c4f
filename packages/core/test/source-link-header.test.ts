import { describe, expect, it } from 'vitest';
import { nextPaginationQuery, ProtocolError } from '../src/index.js';

describe('nextPaginationQuery (bulk cursor from the Link header)', () => {
  it('reads the cursor from the malformed header exactly as the Qualys docs print it', () => {
    const header =
      '<http://qualysapi.qualys.com/csapi/v1.3/images/list?limit=2' +
      '&paginationQuery=updated%3E%3D1593731505425+AND+not+uuid%3A+%5Bbc092a61-caee-3ff1-a693-d9062361ad3c%5D<;rel=next';
    expect(nextPaginationQuery(header)).toBe('updated>=1593731505425 AND not uuid: [bc092a61-caee-3ff1-a693-d9062361ad3c]');
  });

  it('reads the cursor from a well-formed RFC 8288 header with a quoted rel', () => {
    const header = '<https://gateway.example/csapi/v1.3/images/list?paginationQuery=updated%3E%3D5&limit=250>; rel="next"';
    expect(nextPaginationQuery(header)).toBe('updated>=5');
  });

  it('treats a missing header, an empty one and the literal "null" as the end of data', () => {
    expect(nextPaginationQuery(undefined)).toBeUndefined();
    expect(nextPaginationQuery('')).toBeUndefined();
    expect(nextPaginationQuery('null')).toBeUndefined();
    expect(nextPaginationQuery(' NULL ')).toBeUndefined();
  });

  it('picks the rel=next entry when several links are given, and ends when only rel=prev is present', () => {
    const both = '<https://g/x?paginationQuery=a%3D1>; rel="prev", <https://g/x?paginationQuery=b%3D2>; rel="next"';
    expect(nextPaginationQuery(both)).toBe('b=2');
    expect(nextPaginationQuery('<https://g/x?paginationQuery=a%3D1>; rel="prev"')).toBeUndefined();
  });

  it('rejects a next link without a paginationQuery with a ProtocolError quoting the header', () => {
    expect(() => nextPaginationQuery('<https://g/csapi/v1.3/images/list?limit=2>; rel=next')).toThrow(ProtocolError);
    expect(() => nextPaginationQuery('<https://g/csapi/v1.3/images/list?limit=2>; rel=next')).toThrow(/limit=2/);
  });
});
