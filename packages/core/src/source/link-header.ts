import { ProtocolError } from '../errors.js';

/**
 * Pulls the bulk cursor out of a Qualys `Link` header and returns it decoded, or undefined at the end of data.
 *
 * The documented header is malformed (`<http://qualysapi…/images/list?limit=2&paginationQuery=…<;rel=next`): it closes
 * with `<`, names the API-server host rather than the gateway, and uses http. So the URL is never followed; only
 * its `paginationQuery` value is taken and re-sent to the configured base URL (never to another origin, which
 * would also leak the bearer token there). The end of data is a missing header or the literal "null".
 */
export function nextPaginationQuery(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  const value = link.trim();
  if (value === '' || value.toLowerCase() === 'null') return undefined;
  const entries = value.split(/,\s*(?=<)/);
  const next = entries.find((e) => /;\s*rel\s*=\s*"?next"?/i.test(e)) ?? (entries.some((e) => /rel\s*=/i.test(e)) ? undefined : entries[0]);
  if (next === undefined) return undefined;
  const match = /[?&]paginationQuery=([^&<>;\s]*)/.exec(next);
  if (!match || match[1] === undefined || match[1] === '') {
    throw new ProtocolError(`the bulk API's Link header has no paginationQuery parameter: ${value.slice(0, 200)}`);
  }
  try {
    return decodeURIComponent(match[1].replace(/\+/g, ' '));
  } catch {
    throw new ProtocolError(`the bulk API's Link header carries a badly encoded paginationQuery: ${match[1].slice(0, 200)}`);
  }
}
