import type { Client } from '@elastic/elasticsearch';
import { SinkError } from '@qcs-export/core';
import { explain, statusOf } from './connection.js';
import { imageTemplate, MAPPING_PROBES } from './mapping.js';
import type { ElasticsearchSinkOptions } from './options.js';

export const templateNameOf = (options: ElasticsearchSinkOptions) => options.templateName ?? `qcs-export-${options.index}`;

/**
 * Makes sure documents land with the documented mapping: installs (or, with manageTemplate: false, requires) the
 * index template, and refuses an existing index or data stream that was created without it, since a template
 * applies only when an index is created and a wrongly mapped field cannot be changed in place.
 */
export async function prepareTarget(client: Client, options: ElasticsearchSinkOptions, toolVersion: string): Promise<void> {
  const name = templateNameOf(options);
  if (options.manageTemplate) {
    await call(options, `installing index template ${name}`, () =>
      client.indices.putIndexTemplate({ name, ...imageTemplate(options.index, { dataStream: options.dataStream, toolVersion }) } as never),
    );
  } else {
    const exists = await call(options, `checking index template ${name}`, () => client.indices.existsIndexTemplate({ name }));
    if (!exists) throw new SinkError(`index template ${name} does not exist and manageTemplate is false; install it, set templateName to yours, or set manageTemplate: true`);
  }

  const exists = await call(options, `checking index ${options.index}`, () => client.indices.exists({ index: options.index }));
  if (!exists) {
    // Created now, not by the first document, so an export with no images still leaves a searchable, mapped target.
    if (options.dataStream) await call(options, `creating data stream ${options.index}`, () => client.indices.createDataStream({ name: options.index }));
    else await call(options, `creating index ${options.index}`, () => client.indices.create({ index: options.index }).catch((e: unknown) => (statusOf(e) === 400 && /already_exists/.test(String((e as { message?: string }).message)) ? undefined : Promise.reject(e))));
    return;
  }
  if (options.dataStream) {
    const stream = await call(options, `checking data stream ${options.index}`, () => client.indices.getDataStream({ name: options.index }).catch((e: unknown) => (statusOf(e) === 404 ? undefined : Promise.reject(e))));
    if (!stream?.data_streams?.length) throw new SinkError(`${options.index} is a regular index, not a data stream; choose another index for dataStream: true, or set dataStream: false`);
    return;
  }
  const mapping = await call(options, `reading the mapping of ${options.index}`, () => client.indices.getMapping({ index: options.index }));
  const wrong: string[] = [];
  for (const mappings of Object.values(mapping).map((m) => m.mappings)) {
    for (const [path, type] of MAPPING_PROBES) {
      const found = typeAt(mappings, path);
      if (found !== type) wrong.push(`${path} is ${found ?? 'not mapped'} (want ${type})`);
    }
  }
  if (wrong.length > 0) {
    throw new SinkError(`index ${options.index} exists with another mapping (${wrong.join('; ')}), probably created before the template; delete or reindex it, or choose another index`);
  }
}

function typeAt(mappings: unknown, path: string): string | undefined {
  let node = mappings as { properties?: Record<string, unknown>; type?: string } | undefined;
  for (const segment of path.split('.')) node = node?.properties?.[segment] as typeof node;
  return node?.type;
}

async function call<T>(options: ElasticsearchSinkOptions, doing: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw explain(error, options, doing);
  }
}
