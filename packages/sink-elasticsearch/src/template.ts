import type { Client } from '@elastic/elasticsearch';
import { SinkError } from '@qcs-export/core/sink';
import { explain, statusOf } from './connection.js';
import { indexTemplate, mappingProbes, TEMPLATE_PRIORITY } from './mapping.js';
import { concreteIndexOf, type ElasticsearchSinkOptions } from './options.js';
import { listTemplates, notOurs, type TemplateRank } from './precedence.js';

export const templateNameOf = (options: ElasticsearchSinkOptions) => options.templateName ?? `qcs-export-${options.index}`;

/**
 * Makes sure documents land with the documented mapping: installs (or, with manageTemplate: false, requires) the
 * index template, and refuses an existing index or data stream that was created without it, since a template
 * applies only when an index is created and a wrongly mapped field cannot be changed in place. Before creating
 * anything it checks that our template is the one Elasticsearch will apply: another of higher priority matching
 * the name would win, and the index would be created with its mapping.
 */
export async function prepareTarget(client: Client, options: ElasticsearchSinkOptions, toolVersion: string): Promise<void> {
  const name = templateNameOf(options);
  if (options.manageTemplate) {
    await call(options, `installing index template ${name}`, () =>
      client.indices.putIndexTemplate({
        name,
        ...indexTemplate(options.index, { dataStream: options.dataStream, toolVersion, records: options.records, kibana: options.kibana }),
      } as never),
    );
  } else {
    const exists = await call(options, `checking index template ${name}`, () => client.indices.existsIndexTemplate({ name }));
    if (!exists) throw missingTemplate(name);
  }

  const exists = await call(options, `checking index ${options.index}`, () => client.indices.exists({ index: options.index }));
  if (!exists) {
    await requireOurTemplate(client, options, name);
    // Created now, not by the first document, so an export with no images still leaves a searchable, mapped target.
    if (options.dataStream) await call(options, `creating data stream ${options.index}`, () => client.indices.createDataStream({ name: options.index }));
    else
      await call(options, `creating index ${concreteIndexOf(options)}`, () =>
        client.indices
          .create({ index: concreteIndexOf(options), ...(options.kibana ? { aliases: { [options.index]: { is_write_index: true } } } : {}) })
          .catch((e: unknown) => (statusOf(e) === 400 && /already_exists/.test(String((e as { message?: string }).message)) ? undefined : Promise.reject(e))),
      );
    // Read back what the cluster did: a template put, or the same index created by someone else, in between shows here.
    const wrong = await wrongInForce(client, options);
    if (wrong.length > 0)
      throw new SinkError(
        `${options.index} was created with another mapping (${wrong.join('; ')}), although ${name} was the template to apply when the export checked; ` +
          `an index template or another client changed it meanwhile: delete ${options.index} and run again`,
      );
    return;
  }
  if (options.dataStream) {
    const stream = await call(options, `checking data stream ${options.index}`, () =>
      client.indices.getDataStream({ name: options.index }).catch((e: unknown) => (statusOf(e) === 404 ? undefined : Promise.reject(e))),
    );
    if (!stream?.data_streams?.length)
      throw new SinkError(`${options.index} is a regular index, not a data stream; choose another index for dataStream: true, or set dataStream: false`);
    // Each rollover creates the next backing index from whichever template wins then.
    await requireOurTemplate(client, options, name);
  }
  const wrong = await wrongInForce(client, options);
  if (wrong.length > 0) {
    throw new SinkError(
      `${options.dataStream ? 'data stream' : 'index'} ${options.index} exists with another mapping (${wrong.join('; ')}), ` +
        'probably created before the template; delete or reindex it, or choose another index',
    );
  }
}

/**
 * For validate, without changing anything: fails when open would, because another index template would decide
 * the mapping of a new index or data stream (or of a data stream's next backing index), or because the template
 * manageTemplate: false names is missing. An existing index keeps its mapping whatever the templates say.
 */
export async function checkTemplatePrecedence(client: Client, options: ElasticsearchSinkOptions): Promise<void> {
  const name = templateNameOf(options);
  const stored = await listTemplates(client, options);
  if (!options.manageTemplate && !stored.some((t) => t.name === name)) throw missingTemplate(name);
  if (!options.dataStream && (await call(options, `checking index ${options.index}`, () => client.indices.exists({ index: options.index })))) return;
  // Open installs ours as indexTemplate() defines it, replacing any older version.
  const ours: TemplateRank = { name, priority: TEMPLATE_PRIORITY, patterns: indexTemplate(options.index, { ...options, toolVersion: '' }).index_patterns };
  const templates = options.manageTemplate ? [...stored.filter((t) => t.name !== name), ours] : stored;
  const error = notOurs(templates, options, name);
  if (error) throw error;
}

/**
 * Fails, before anything is created, unless our template is the one a new `index` (or a data stream's next
 * backing index) gets. The list of templates says which template that is; simulating that template by name
 * (`_index_template/_simulate/<template>`) says which mapping it gives, component templates merged. Simulating by
 * index name instead (`_simulate_index/<index>`) fails with 500 on Elasticsearch 7.10 once the data stream exists.
 */
async function requireOurTemplate(client: Client, options: ElasticsearchSinkOptions, name: string): Promise<void> {
  const outranked = notOurs(await listTemplates(client, options), options, name);
  if (outranked) throw outranked;
  const simulated = await call(options, `simulating the index template ${name}`, () => client.indices.simulateTemplate({ name }));
  const wrong = wrongFields(simulated.template?.mappings, options);
  if (wrong.length > 0) {
    throw new SinkError(
      `index template ${name} would give ${options.index} another mapping (${wrong.join('; ')}); fix it, or the component templates it is composed of` +
        `${options.manageTemplate ? '' : ', or set manageTemplate: true to have the export install its own'}`,
    );
  }
}

/** The probed fields the mapping in force maps otherwise: the index's, or a data stream's write index's. */
async function wrongInForce(client: Client, options: ElasticsearchSinkOptions): Promise<string[]> {
  return (await mappingsInForce(client, options)).flatMap((root) => wrongFields(root, options));
}

/** The type a field has in the mapping in force, or undefined when it is not mapped. */
export async function fieldTypeInForce(client: Client, options: ElasticsearchSinkOptions, path: string): Promise<string | undefined> {
  return typeAt((await mappingsInForce(client, options))[0], path);
}

/** The mappings in force: the index's, or a data stream's write index's. */
async function mappingsInForce(client: Client, options: ElasticsearchSinkOptions): Promise<unknown[]> {
  let target = options.index;
  if (options.dataStream) {
    const stream = await call(options, `checking data stream ${options.index}`, () => client.indices.getDataStream({ name: options.index }));
    target = stream.data_streams[0]?.indices.at(-1)?.index_name ?? target;
  }
  const mapping = await call(options, `reading the mapping of ${options.index}`, () => client.indices.getMapping({ index: target }));
  return Object.values(mapping).map((m) => unwrapped(m.mappings));
}

/** A mapping may come wrapped in its type name, as older APIs return it. */
function unwrapped(mappings: unknown): unknown {
  return (mappings as { _doc?: unknown } | undefined)?._doc ?? mappings;
}

function wrongFields(mappings: unknown, options: ElasticsearchSinkOptions): string[] {
  const root = unwrapped(mappings);
  const wrong: string[] = [];
  for (const [path, type] of mappingProbes(options.records)) {
    const found = typeAt(root, path);
    if (found !== type) wrong.push(`${path} is ${found ?? 'not mapped'} (want ${type})`);
  }
  return wrong;
}

function typeAt(mappings: unknown, path: string): string | undefined {
  let node = mappings as { properties?: Record<string, unknown>; type?: string } | undefined;
  for (const segment of path.split('.')) node = node?.properties?.[segment] as typeof node;
  return node?.type;
}

const missingTemplate = (name: string) =>
  new SinkError(`index template ${name} does not exist and manageTemplate is false; install it, set templateName to yours, or set manageTemplate: true`);

async function call<T>(options: ElasticsearchSinkOptions, doing: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw explain(error, options, doing);
  }
}
