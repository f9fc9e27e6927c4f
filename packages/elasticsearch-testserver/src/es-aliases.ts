import { EsError } from './es-errors.js';
import type { AliasProps, IndexState } from './es-index-state.js';

export type { AliasProps } from './es-index-state.js';

const ALIAS_KEYS = new Set(['is_write_index', 'routing', 'index_routing', 'search_routing', 'is_hidden', 'filter']);

/**
 * An alias definition from a request body (`PUT {index}` aliases, a template's aliases, `PUT _alias`, an `add`
 * action). A filter is refused rather than stored: searches here would not apply it, and a test must not pass on
 * documents an aliased search on a cluster would leave out.
 */
export function parseAliasProps(alias: string, body: unknown): AliasProps {
  const spec = (body ?? {}) as Record<string, unknown>;
  if (typeof spec !== 'object' || Array.isArray(spec)) throw new EsError(400, 'x_content_parse_exception', `[1:1] alias [${alias}] must be an object`);
  const unknown = Object.keys(spec).find((k) => !ALIAS_KEYS.has(k));
  if (unknown) throw new EsError(400, 'x_content_parse_exception', `[1:1] [alias] unknown field [${unknown}]`);
  if (spec['filter'] !== undefined)
    throw new EsError(400, 'illegal_argument_exception', `alias [${alias}] has a filter; the test server does not apply alias filters, so it refuses them`);
  const routing = spec['routing'] === undefined ? undefined : String(spec['routing']);
  const props: AliasProps = {};
  if (typeof spec['is_write_index'] === 'boolean') props.is_write_index = spec['is_write_index'];
  const indexRouting = spec['index_routing'] ?? routing;
  const searchRouting = spec['search_routing'] ?? routing;
  if (indexRouting !== undefined) props.index_routing = String(indexRouting);
  if (searchRouting !== undefined) props.search_routing = String(searchRouting);
  if (typeof spec['is_hidden'] === 'boolean') props.is_hidden = spec['is_hidden'];
  return props;
}

/** The checks an alias name gets (those of an index name but the lowercase one), worded as a node words them. */
export function validateAliasName(name: string): void {
  const fail = (why: string) => new EsError(400, 'invalid_alias_name_exception', `Invalid alias name [${name}]: ${why}`);
  if (name === '') throw fail('alias name cannot be empty');
  if (/^[_\-+]/.test(name)) throw fail(`must not start with '_', '-', or '+'`);
  if (name === '.' || name === '..') throw fail(`must not be '.' or '..'`);
  if (/[\\/*?"<>| ,#:]/.test(name)) throw fail('must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?, #, :]');
  if (Buffer.byteLength(name) > 255) throw fail('alias name is too long');
}

export const aliasNamesAnIndex = (alias: string) =>
  new EsError(400, 'invalid_alias_name_exception', `Invalid alias name [${alias}]: an index or data stream exists with the same name as the alias`);

/** An alias may have one write index at most; a second is refused as the cluster state check refuses it (a 500). */
export function checkWriteIndices(alias: string, members: IndexState[]): void {
  const writers = members.filter((s) => s.aliases.get(alias)?.is_write_index === true).map((s) => s.backingIndex);
  if (writers.length > 1) throw new EsError(500, 'illegal_state_exception', `alias [${alias}] has more than one write index [${writers.join(',')}]`);
}

/**
 * The index a write to an alias goes to: the one marked is_write_index, else its only index unless that one is
 * marked is_write_index: false; otherwise the request is refused with the node's message.
 */
export function writeIndexOf(alias: string, members: IndexState[]): IndexState {
  const marked = members.find((s) => s.aliases.get(alias)?.is_write_index === true);
  if (marked) return marked;
  const only = members.length === 1 ? members[0] : undefined;
  if (only && only.aliases.get(alias)?.is_write_index !== false) return only;
  throw new EsError(
    400,
    'illegal_argument_exception',
    `no write index is defined for alias [${alias}]. The write index may be explicitly disabled using is_write_index=false or the alias points to ` +
      'multiple indices without one being designated as a write index',
  );
}

/** An alias as GET _alias shows it: only the properties that are set. */
export const aliasView = (props: AliasProps): Record<string, unknown> => ({ ...props });
