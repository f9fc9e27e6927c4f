import { EsError, indexNotFound } from './es-errors.js';
import { ok } from './es-http.js';
import type { Context, EsRequest, Route } from './es-router.js';
import { glob, type IndexState, type IndexTemplate, validateIndexName } from './es-store.js';

const notFound = (what: string) => new EsError(404, 'resource_not_found_exception', what);

function clusterInfo(ctx: Context) {
  return ok({
    name: 'qcs-export-test-node',
    cluster_name: 'qcs-export-test',
    cluster_uuid: 'qcs-export-test-cluster',
    version: {
      ...(ctx.opensearch ? { distribution: 'opensearch' } : {}),
      number: ctx.version,
      build_flavor: 'default',
      build_type: 'docker',
      build_hash: '0000000000000000000000000000000000000000',
      build_date: '2025-01-01T00:00:00.000Z',
      build_snapshot: false,
      lucene_version: '9.12.2',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  });
}

/** Templates named by an expression (a name, a comma list, * globs); a plain name that matches nothing is a 404. */
function templatesNamed(ctx: Context, expression: string | undefined): Array<{ name: string; index_template: IndexTemplate }> {
  const parts = (expression ?? '*').split(',');
  const found = [...ctx.store.templates].filter(([name]) => parts.some((p) => glob(p).test(name))).map(([name, index_template]) => ({ name, index_template }));
  const plain = parts.filter((p) => !p.includes('*'));
  if (found.length === 0 && plain.length > 0) throw notFound(`index template matching [${expression}] not found`);
  return found;
}

function dataStreamView(state: IndexState) {
  return {
    name: state.name,
    timestamp_field: { name: '@timestamp' },
    indices: [{ index_name: state.backingIndex, index_uuid: state.uuid, prefer_ilm: true, managed_by: 'Unmanaged' }],
    generation: 1,
    status: 'GREEN',
    template: state.template,
    hidden: false,
    system: false,
    allow_custom_routing: false,
    replicated: false,
  };
}

function dataStreamsNamed(ctx: Context, expression: string | undefined): IndexState[] {
  const streams = ctx.store.resolve(expression ?? '*').filter((s) => s.dataStream);
  const missing = (expression ?? '*').split(',').find((p) => !p.includes('*') && p !== '_all' && !streams.some((s) => s.name === p));
  if (missing) throw indexNotFound(missing);
  return streams;
}

export const clusterRoutes: Route[] = [
  { path: '', methods: { GET: clusterInfo } },
  {
    path: '_ingest/pipeline/{id}',
    methods: {
      PUT: (ctx, req) => {
        ctx.store.pipelines.set(req.params['id'] as string, req.json());
        return ok({ acknowledged: true });
      },
      // a missing pipeline is a 404 with an empty object, as a node answers
      GET: (ctx, req) => {
        const id = req.params['id'] as string;
        const pipeline = ctx.store.pipelines.get(id);
        return pipeline ? ok({ [id]: pipeline }) : { status: 404, body: {} };
      },
      DELETE: (ctx, req) => {
        if (!ctx.store.pipelines.delete(req.params['id'] as string)) throw notFound(`pipeline [${req.params['id']}] is missing`);
        return ok({ acknowledged: true });
      },
    },
  },
  { path: '_index_template', methods: { GET: (ctx) => ok({ index_templates: templatesNamed(ctx, undefined) }) } },
  {
    path: '_index_template/{name}',
    methods: {
      PUT: putTemplate,
      POST: putTemplate,
      GET: (ctx, req) => ok({ index_templates: templatesNamed(ctx, req.params['name']) }),
      // exists: 200 or 404, never a body
      HEAD: (ctx, req) => ({ status: ctx.store.templates.has(req.params['name'] as string) ? 200 : 404 }),
      DELETE: (ctx, req) => {
        const names = templatesNamed(ctx, req.params['name']).map((t) => t.name);
        for (const name of names) ctx.store.templates.delete(name);
        return ok({ acknowledged: true });
      },
    },
  },
  { path: '_index_template/_simulate_index/{name}', methods: { POST: simulateIndex } },
  { path: '_index_template/_simulate/{name}', methods: { POST: simulateTemplate } },
  { path: '_data_stream', methods: { GET: (ctx) => ok({ data_streams: dataStreamsNamed(ctx, undefined).map(dataStreamView) }) } },
  {
    path: '_data_stream/{name}',
    methods: {
      PUT: (ctx, req) => {
        const name = req.params['name'] as string;
        validateIndexName(name);
        if (ctx.store.resolve(name).length > 0) throw new EsError(400, 'resource_already_exists_exception', `data_stream [${name}] already exists`);
        if (ctx.store.templateFor(name)?.[1].data_stream === undefined)
          throw new EsError(400, 'illegal_argument_exception', `no matching index template found for data stream [${name}]`);
        ctx.store.create(name);
        return ok({ acknowledged: true });
      },
      GET: (ctx, req) => ok({ data_streams: dataStreamsNamed(ctx, req.params['name']).map(dataStreamView) }),
      DELETE: (ctx, req) => {
        for (const stream of dataStreamsNamed(ctx, req.params['name'])) ctx.store.indices.delete(stream.name);
        return ok({ acknowledged: true });
      },
    },
  },
];

function putTemplate(ctx: Context, req: EsRequest) {
  ctx.store.putTemplate(req.params['name'] as string, req.json<IndexTemplate>(), req.query.get('create') === 'true');
  return ok({ acknowledged: true });
}

/**
 * `POST _index_template/_simulate_index/{name}`: what a new index of that name would get from the templates as
 * they are now, without creating anything. As on a node, the winning template is not named: `overlapping` lists
 * the other templates whose patterns overlap the winner's (so one that lost to it is there), and the answer is
 * `{}` when no template matches. It says nothing about an existing index of that name, which keeps its mapping.
 */
function simulateIndex(ctx: Context, req: EsRequest) {
  // A node also takes a template to simulate with in the body; this server only simulates the stored ones.
  if (req.text.trim() !== '') throw new EsError(400, 'illegal_argument_exception', 'the test server simulates stored templates only; send no body');
  const name = req.params['name'] as string;
  if (ctx.simulateIndexRejectsDataStreams && ctx.store.indices.get(name)?.dataStream)
    throw new EsError(500, 'illegal_state_exception', `data stream [${name}] conflicts with index`);
  const simulated = ctx.store.simulate(name);
  if (!simulated.templateName || !simulated.template) return ok({});
  return ok({
    template: { settings: simulated.template.template?.settings ?? {}, mappings: simulated.mappings, aliases: simulated.template.template?.aliases ?? {} },
    overlapping: ctx.store.overlapping(simulated.templateName),
  });
}

/**
 * `POST _index_template/_simulate/{name}`: the index settings and mappings a stored template resolves to (its
 * component templates merged), whatever index it would be applied to; 404 when there is no such template.
 */
function simulateTemplate(ctx: Context, req: EsRequest) {
  if (req.text.trim() !== '') throw new EsError(400, 'illegal_argument_exception', 'the test server simulates stored templates only; send no body');
  const name = req.params['name'] as string;
  const template = ctx.store.templates.get(name);
  if (!template) throw notFound(`index template matching [${name}] not found`);
  const simulated = ctx.store.simulateTemplate(template);
  return ok({
    template: { settings: template.template?.settings ?? {}, mappings: simulated, aliases: template.template?.aliases ?? {} },
    overlapping: ctx.store.overlapping(name),
  });
}
