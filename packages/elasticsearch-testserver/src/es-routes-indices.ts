import { aliasView } from './es-aliases.js';
import { EsError, indexNotFound } from './es-errors.js';
import { resolveExpression } from './es-expressions.js';
import { ok } from './es-http.js';
import { mergeMappings, validateMappings } from './es-mapping-rules.js';
import type { FieldMapping } from './es-mappings.js';
import type { Context, EsRequest, Route } from './es-router.js';
import type { IndexState } from './es-store.js';

const SHARDS = { total: 1, successful: 1, failed: 0 };

/**
 * The indices an expression names, for the APIs that read or refresh them. A plain name that names nothing is a
 * 404 unless ignore_unavailable=true; a wildcard that matches nothing gives no indices, unless allow_no_indices=false.
 */
export function targets(ctx: Context, req: EsRequest, expression = req.params['index'] ?? '_all'): IndexState[] {
  const { states, missing, unmatched } = resolveExpression(ctx.store.indices.values(), expression);
  if (missing.length > 0 && req.query.get('ignore_unavailable') !== 'true') throw indexNotFound(missing[0] as string);
  if (states.length === 0 && req.query.get('allow_no_indices') === 'false') throw indexNotFound(unmatched[0] ?? missing[0] ?? expression);
  return states;
}

function createIndex(ctx: Context, req: EsRequest) {
  const name = req.params['index'] as string;
  const body = req.json<{ mappings?: FieldMapping; settings?: unknown; aliases?: Record<string, unknown> }>();
  const existing = ctx.store.indices.get(name) ?? [...ctx.store.indices.values()].find((s) => s.backingIndex === name);
  if (existing)
    throw new EsError(400, 'resource_already_exists_exception', `index [${existing.backingIndex}/${existing.uuid}] already exists`, {
      index_uuid: existing.uuid,
      index: existing.backingIndex,
    });
  const template = ctx.store.templateFor(name);
  if (template?.[1].data_stream !== undefined) {
    throw new EsError(
      400,
      'illegal_argument_exception',
      `cannot create index with name [${name}], because it matches with template [${template[0]}] that creates data streams only, ` +
        'use create data stream api instead',
    );
  }
  validateMappings(body.mappings);
  ctx.store.create(name, body.mappings, body.aliases);
  return ok({ acknowledged: true, shards_acknowledged: true, index: name });
}

function describeIndex(state: IndexState) {
  return {
    aliases: Object.fromEntries([...state.aliases].map(([name, props]) => [name, aliasView(props)])),
    mappings: state.mappings,
    settings: {
      index: {
        number_of_shards: '1',
        number_of_replicas: '1',
        uuid: state.uuid,
        provided_name: state.backingIndex,
        creation_date: String(state.creationDate),
        version: { created: '8521000' },
        ...(state.dataStream ? { hidden: 'true' } : {}),
      },
    },
    ...(state.dataStream ? { data_stream: state.name } : {}),
  };
}

function deleteIndex(ctx: Context, req: EsRequest) {
  const expression = req.params['index'] as string;
  // action.destructive_requires_name is true by default in 8.x: a wildcard delete is refused.
  if (expression.includes('*') || expression === '_all')
    throw new EsError(400, 'illegal_argument_exception', `Wildcard expressions or all indices are not allowed`);
  const alias = expression.split(',').find((part) => !ctx.store.indices.has(part) && ctx.store.aliasMembers(part).length > 0);
  if (alias)
    throw new EsError(
      400,
      'illegal_argument_exception',
      `The provided expression [${alias}] matches an alias, specify the corresponding concrete indices instead.`,
    );
  for (const t of targets(ctx, req)) ctx.store.indices.delete(t.name);
  return ok({ acknowledged: true });
}

function putMapping(ctx: Context, req: EsRequest) {
  const body = req.json<FieldMapping>();
  validateMappings(body);
  const states = targets(ctx, req);
  // Checked against every index before any changes, so a conflict leaves all of them as they were.
  const merged = states.map((state) => mergeMappings(state.mappings, body));
  for (const [i, state] of states.entries()) state.mappings = merged[i] as FieldMapping;
  return ok({ acknowledged: true });
}

function refresh(ctx: Context, req: EsRequest) {
  targets(ctx, req);
  ctx.stats.refreshes += 1;
  return ok({ _shards: SHARDS });
}

const mappingOf = (ctx: Context, req: EsRequest) => ok(Object.fromEntries(targets(ctx, req).map((t) => [t.backingIndex, { mappings: t.mappings }])));

export const indexRoutes: Route[] = [
  { path: '_refresh', methods: { GET: refresh, POST: refresh } },
  { path: '{index}/_refresh', methods: { GET: refresh, POST: refresh } },
  { path: '_mapping', methods: { GET: mappingOf } },
  { path: '{index}/_mapping', methods: { GET: mappingOf, PUT: putMapping, POST: putMapping } },
  {
    path: '{index}',
    methods: {
      PUT: createIndex,
      GET: (ctx, req) => ok(Object.fromEntries(targets(ctx, req).map((t) => [t.backingIndex, describeIndex(t)]))),
      HEAD: (ctx, req) => {
        const expression = req.params['index'] as string;
        return { status: ctx.store.missing(expression).length === 0 && ctx.store.resolve(expression).length > 0 ? 200 : 404 };
      },
      DELETE: deleteIndex,
    },
  },
];
