import { credentialsOf, deferredSink, defineSinkPlugin, findingsDemandOf, grainReads, takesFixedFindingsAt } from '@qcs-export/core/sink';
import { deadLetterPathOf } from './dead-letter.js';
import { ecsContainerFieldsTable, ecsFieldsTable, ecsSoftwareFieldsTable } from './ecs-fields.js';
import { elasticsearchOptions } from './options.js';

/**
 * The Elasticsearch sink: idempotent bulk writes keyed by image sha, finding, package or container (or a data
 * stream), template-managed mappings, dead letters. The client library takes about a third of a second to import, so it loads only when a run opens the
 * sink or validate checks the cluster.
 */
export const elasticsearchSink = defineSinkPlugin({
  type: 'elasticsearch',
  description:
    'Elasticsearch for a SIEM: one document per image (_id = sha), or per finding, installed package or container (ECS), a data stream, ' +
    "or the latest findings for Kibana's findings page",
  options: elasticsearchOptions,
  commit: () => 'in-place',
  needsFindings: (options) => findingsDemandOf(options.records),
  grains: (options) => [options.records],
  // Every image findings index takes a compared run's fixed findings; the Kibana latest index by leaving them out.
  takesFixedFindings: (options) => takesFixedFindingsAt(options.records),
  create: (options, ctx) => deferredSink(async () => (await import('./elasticsearch-sink.js')).createElasticsearchSink(options, ctx)),
  secrets: (options) => credentialsOf(options.auth).secrets,
  outputs: (options, ctx) => [deadLetterPathOf(options, ctx)],
  destination: (options, ctx) => ({
    nodes: (Array.isArray(options.node) ? options.node : [options.node]).map(withoutUserInfo),
    [options.dataStream ? 'dataStream' : options.kibana ? 'alias' : 'index']: options.index,
    deadLetters: deadLetterPathOf(options, ctx),
  }),
  incremental: (options) =>
    options.kibana
      ? {
          ok: false,
          option: 'kibana',
          reason:
            "Kibana's findings page shows a finding only while its @timestamp is recent, and an incremental run would leave the findings of " +
            'unchanged images with the time of the run that last wrote them; export this sink from a config without run.state',
        }
      : {
          ok: true,
          meaning: incrementalMeaning(options),
        },
  // The index or data stream by name, whichever dataStream says it is, as states written before plugins declared
  // their target recorded it: a state stays valid across the upgrade.
  stateTarget: (options) => ({ target: options.index, records: options.records }),
  readmeTables: { 'ecs-findings': ecsFieldsTable(), 'ecs-containers': ecsContainerFieldsTable(), 'ecs-software': ecsSoftwareFieldsTable() },
  async check(options, ctx) {
    const [{ createClient, verifyCluster }, { checkTemplatePrecedence }] = await Promise.all([import('./connection.js'), import('./template.js')]);
    const client = await createClient(options, `qcs-export/${ctx.toolVersion}`);
    try {
      await verifyCluster(client, options);
      await checkTemplatePrecedence(client, options);
    } finally {
      await client.close();
    }
  },
});

/** What an incremental run leaves in the index: the documents of what it read again are replaced or appended, the others stay. */
function incrementalMeaning(options: { dataStream: boolean; records: Parameters<typeof grainReads>[0] }): string {
  if (grainReads(options.records) === 'containers') {
    return options.dataStream
      ? 'the documents of each container the run reads are appended to the data stream as new events'
      : 'documents of the containers the run reads are replaced in place (same _id); the others stay as the last run left them';
  }
  return options.dataStream
    ? 'each changed image is appended to the data stream as a new event'
    : 'documents of changed images are replaced in place (same _id); the others stay as the last run left them';
}

/** A node URL as a plan may print it: a user and password written into the URL stay out. */
function withoutUserInfo(node: string): string {
  const url = new URL(node);
  url.username = '';
  url.password = '';
  return url.href.replace(/\/$/, '');
}
