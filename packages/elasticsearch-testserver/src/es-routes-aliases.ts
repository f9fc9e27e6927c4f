import { type AliasProps, aliasNamesAnIndex, aliasView, checkWriteIndices, parseAliasProps, validateAliasName } from './es-aliases.js';
import { EsError, indexNotFound } from './es-errors.js';
import { glob } from './es-expressions.js';
import { ok, type Reply } from './es-http.js';
import type { Context, EsRequest, Route } from './es-router.js';
import { targets } from './es-routes-indices.js';
import type { IndexState, Store } from './es-store.js';

type ActionType = 'add' | 'remove' | 'remove_index';

/** One alias action as `POST _aliases` takes it (and as `PUT`/`DELETE {index}/_alias/{name}` make it). */
interface AliasAction {
  type: ActionType;
  indices: string[];
  aliases: string[];
  props: AliasProps;
  mustExist: boolean | undefined;
}

const list = (v: unknown): string[] =>
  (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]).flatMap((s) => s.split(',')).filter((s) => s !== '');
const isPattern = (name: string) => name === '_all' || name.includes('*');
const nameMatches = (patterns: string[], name: string) => patterns.some((p) => p === '_all' || glob(p).test(name));

const aliasesNotFound = (names: string[]) =>
  new EsError(404, 'aliases_not_found_exception', `aliases [${names.join(', ')}] missing`, {
    'resource.type': 'aliases',
    'resource.id': names.length === 1 ? names[0] : names,
  });

// The node reports a malformed action as a parse failure of the actions array, caused by what is wrong with it.
const badAction = (reason: string) =>
  new EsError(400, 'x_content_parse_exception', '[1:1] [aliases] failed to parse field [actions]', {
    caused_by: { type: 'illegal_argument_exception', reason },
  });

function parseAction(raw: unknown): AliasAction {
  const entries = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? Object.entries(raw) : [];
  const [type, spec] = entries[0] ?? [];
  if (entries.length !== 1 || (type !== 'add' && type !== 'remove' && type !== 'remove_index'))
    throw badAction(`an alias action is one of [add], [remove], [remove_index], got [${entries.map(([k]) => k).join(', ')}]`);
  const { index, indices, alias, aliases, must_exist, ...rest } = (spec ?? {}) as Record<string, unknown>;
  const action: AliasAction = {
    type,
    indices: [...list(index), ...list(indices)],
    aliases: [...list(alias), ...list(aliases)],
    props: {},
    mustExist: typeof must_exist === 'boolean' ? must_exist : undefined,
  };
  if (action.indices.length === 0) throw badAction('One of [index] or [indices] is required');
  if (type !== 'remove_index' && action.aliases.length === 0) throw badAction('One of [alias] or [aliases] is required');
  if (type === 'add') action.props = parseAliasProps(action.aliases.join(','), rest);
  else if (Object.keys(rest).length > 0) throw badAction(`[${type}] doesn't support [${Object.keys(rest)[0]}]`);
  return action;
}

/** The indices an action names: names or wildcards over indices and data streams, never aliases (a node ignores them here). */
function concreteIndices(store: Store, names: string[]): IndexState[] {
  const out = new Set<IndexState>();
  for (const name of names) {
    if (isPattern(name)) {
      for (const state of store.indices.values()) if (nameMatches([name], state.name)) out.add(state);
      continue;
    }
    const state = store.indices.get(name) ?? [...store.indices.values()].find((s) => s.backingIndex === name);
    if (!state) throw indexNotFound(name);
    out.add(state);
  }
  return [...out];
}

/**
 * Applies alias actions all or nothing, as one cluster state update: any failure leaves every alias as it was. A
 * remove that removed nothing is an error of that action, reported in `action_results` (8.14 and later); when no
 * action did anything the whole request fails with aliases_not_found_exception.
 */
function execute(store: Store, actions: AliasAction[]): Reply {
  if (actions.length === 0) throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: Must specify at least one alias action;');
  const before = new Map([...store.indices.values()].map((s) => [s, new Map(s.aliases)]));
  const dropped = new Set<IndexState>();
  const touched = new Set<string>();
  const results: Array<{ action: AliasAction; indices: string[]; error: EsError | undefined }> = [];
  let applied = 0;
  try {
    for (const action of actions) {
      const states = concreteIndices(store, action.indices);
      let removed = 0;
      for (const state of states) {
        if (action.type === 'remove_index') {
          dropped.add(state);
          applied++;
        } else if (action.type === 'add') {
          for (const alias of action.aliases) {
            validateAliasName(alias);
            if (store.indices.has(alias)) throw aliasNamesAnIndex(alias);
            state.aliases.set(alias, action.props);
            touched.add(alias);
            applied++;
          }
        } else {
          const names = [...state.aliases.keys()].filter((a) => nameMatches(action.aliases, a));
          if (names.length === 0 && action.mustExist === true)
            throw new EsError(404, 'resource_not_found_exception', `required alias [${action.aliases.join(',')}] does not exist`);
          for (const name of names) state.aliases.delete(name);
          removed += names.length;
          applied += names.length;
        }
      }
      const failed = action.type === 'remove' && removed === 0;
      results.push({ action, indices: states.map((s) => s.backingIndex), error: failed ? aliasesNotFound(action.aliases) : undefined });
    }
    if (applied === 0) throw aliasesNotFound([...new Set(actions.flatMap((a) => a.aliases))]);
    for (const alias of touched) checkWriteIndices(alias, store.aliasMembers(alias));
  } catch (error) {
    for (const [state, aliases] of before) state.aliases = aliases;
    throw error;
  }
  for (const state of dropped) store.indices.delete(state.name);
  const errors = results.some((r) => r.error);
  const view = (r: (typeof results)[number]) => ({
    action: { type: r.action.type, indices: [...r.indices].sort(), aliases: r.action.aliases },
    status: r.error?.status ?? 200,
    ...(r.error ? { error: r.error.asCause() } : {}),
  });
  return ok({ acknowledged: true, errors, ...(errors ? { action_results: results.map(view) } : {}) });
}

/**
 * GET _alias, {index}/_alias, _alias/{name}, {index}/_alias/{name} (and HEAD: the same status, no body). Without
 * names every index is listed, with its aliases or none; with names only the indices that have one of them. A name
 * without a wildcard that no index has makes the answer a 404 with `error` and `status` beside what was found.
 */
function getAliases(ctx: Context, req: EsRequest): Reply {
  const names = req.params['name'] === undefined ? undefined : list(req.params['name']);
  const states = req.params['index'] === undefined ? [...ctx.store.indices.values()].filter((s) => !s.dataStream || s.aliases.size > 0) : targets(ctx, req);
  const found = new Set<string>();
  const body: Record<string, unknown> = {};
  for (const state of states) {
    const shown = [...state.aliases].filter(([alias]) => !names || nameMatches(names, alias));
    for (const [alias] of shown) found.add(alias);
    if (names && shown.length === 0) continue;
    body[state.backingIndex] = { aliases: Object.fromEntries(shown.map(([alias, props]) => [alias, aliasView(props)])) };
  }
  const missing = (names ?? []).filter((n) => !isPattern(n) && !found.has(n)).sort();
  if (missing.length === 0) return ok(body);
  const error = missing.length === 1 ? `alias [${missing[0]}] missing` : `aliases [${missing.join(',')}] missing`;
  return ok({ error, status: 404, ...body }, 404);
}

function putAlias(ctx: Context, req: EsRequest): Reply {
  const body = req.json();
  const action: AliasAction = {
    type: 'add',
    indices: list(req.params['index']),
    aliases: list(req.params['name']),
    props: parseAliasProps(req.params['name'] as string, body),
    mustExist: undefined,
  };
  return execute(ctx.store, [action]);
}

function deleteAlias(ctx: Context, req: EsRequest): Reply {
  const action: AliasAction = { type: 'remove', indices: list(req.params['index']), aliases: list(req.params['name']), props: {}, mustExist: undefined };
  return execute(ctx.store, [action]);
}

function updateAliases(ctx: Context, req: EsRequest): Reply {
  const actions = req.json<{ actions?: unknown }>().actions;
  if (actions !== undefined && !Array.isArray(actions)) throw badAction('[actions] must be an array');
  return execute(ctx.store, (actions ?? []).map(parseAction));
}

export const aliasRoutes: Route[] = [
  { path: '_alias', methods: { GET: getAliases } },
  { path: '_aliases', methods: { GET: getAliases, POST: updateAliases } },
  { path: '_alias/{name}', methods: { GET: getAliases } },
  { path: '{index}/_alias', methods: { GET: getAliases } },
  { path: '{index}/_alias/{name}', methods: { GET: getAliases, PUT: putAlias, POST: putAlias, DELETE: deleteAlias } },
  { path: '{index}/_aliases/{name}', methods: { PUT: putAlias, POST: putAlias, DELETE: deleteAlias } },
];
