import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { elasticsearchSink, type ElasticsearchSinkOptions } from '../src/index.js';
import { verifyRunCount } from '../src/run-count.js';

const options = elasticsearchSink.options.parse({ node: 'http://127.0.0.1:9200', index: 'counted' }) as ElasticsearchSinkOptions;

function logger() {
  const lines: string[] = [];
  const keep = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

const refusing = (status: number) =>
  ({
    count: async () => {
      throw new errors.ResponseError({
        statusCode: status,
        body: { error: { type: 'security_exception', reason: 'action [indices:data/read/search] is unauthorized' }, status },
        headers: {},
        warnings: null,
        meta: {} as never,
      });
    },
  }) as unknown as Client;

describe('the run count', () => {
  it('credentials without the read privilege (403) skip the check with a warning that says what to grant', async () => {
    const log = logger();
    await verifyRunCount(refusing(403), options, log, { runId: 'r1', field: 'runId', acknowledged: 10 });
    expect(log.lines).toEqual([expect.stringMatching(/^warn: .*cannot count this run's documents in counted \(403: .*read privilege.*grant read/)]);
  });

  it('any other refusal fails the run', async () => {
    await expect(verifyRunCount(refusing(500), options, logger(), { runId: 'r1', field: 'runId', acknowledged: 10 })).rejects.toMatchObject({
      code: 'QCS_SINK_FAILED',
    });
  });

  it('an answer without a count is a lost answer', async () => {
    const client = { count: async () => '' } as unknown as Client;
    await expect(verifyRunCount(client, options, logger(), { runId: 'r1', field: 'runId', acknowledged: 10 })).rejects.toMatchObject({
      code: 'QCS_SINK_INCOMPLETE',
    });
  });
});
