import type { Client } from '@elastic/elasticsearch';
import { SinkIncompleteError, type Logger } from '@qcs-export/core/sink';
import { explain, statusOf } from './connection.js';
import type { ElasticsearchSinkOptions } from './options.js';

/**
 * Checks, after the final refresh, that the index (or data stream) holds as many documents of this run as the
 * cluster acknowledged: `_count` of the documents whose run-id field is this run's. It catches what the bulk answers
 * cannot show, such as a proxy that answers as the node would without passing the request on. Skipped, with a debug
 * line, when there is nothing to count by: no run id, an index made before run ids were mapped, or no refresh.
 */
export async function verifyRunCount(
  client: Client,
  options: ElasticsearchSinkOptions,
  logger: Logger,
  /** `acknowledged`: documents acknowledged as stored, less those an ingest pipeline dropped ("noop"). */
  run: { runId: string | undefined; field: string | undefined; acknowledged: number },
): Promise<void> {
  const skip = (why: string) => logger.debug(`elasticsearch: not counting this run's documents in ${options.index}: ${why}`);
  if (run.runId === undefined) return skip('the run has no run id');
  if (run.field === undefined) return skip('it was created before run ids were mapped (no keyword run-id field)');
  if (!options.refresh) return skip('refresh is off, so a count would not see the latest documents');
  let answer: { count?: unknown };
  try {
    answer = await client.count({ index: options.index, query: { term: { [run.field]: run.runId } } });
  } catch (error) {
    // Writing needs no read privilege, and a key made for the export as documented before may lack it: say so, and go on.
    if (statusOf(error) === 403) {
      logger.warn(
        `elasticsearch: cannot count this run's documents in ${options.index} (403: the credentials lack the read privilege on it); ` +
          'grant read to have each run check that the index holds every document it acknowledged',
      );
      return;
    }
    throw explain(error, options, `counting this run's documents in ${options.index}`);
  }
  if (typeof answer?.count !== 'number')
    throw new SinkIncompleteError(`counting this run's documents in ${options.index} got an answer without a count;`, {
      setting: 'node',
      hint: 'a proxy in front of the cluster may be answering instead of it: point node at the cluster, or have the proxy pass requests through unchanged',
    });
  if (answer.count !== run.acknowledged)
    throw new SinkIncompleteError(
      `${options.index} holds ${answer.count} documents of this run (${run.field}: ${run.runId}) after the refresh, ` +
        `but the cluster acknowledged ${run.acknowledged};`,
      {
        setting: 'node',
        hint:
          'documents were lost between the answers and the index: check for a proxy or load balancer in front of the cluster that answers ' +
          'on its own, and for another writer or an ILM policy deleting from the index; then run again',
      },
    );
  logger.debug(`elasticsearch: ${options.index} holds all ${answer.count} documents of this run`);
}
