import { errors } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import { itemsOf, useServer } from './support.js';

const ops = (index: string, ids: string[]) => ids.flatMap((id) => [{ index: { _index: index, _id: id } }, { id }]);

describe('faults', () => {
  const t = useServer({}, { requestTimeout: 1000 });

  it('item-429: the next N items over all requests get 429 es_rejected_execution_exception and are not stored', async () => {
    t.server.inject({ kind: 'item-429', count: 3 });
    const first = await t.client.bulk({ operations: ops('f', ['1', '2']) });
    const second = await t.client.bulk({ operations: ops('f', ['3', '4']) });
    expect([...itemsOf(first), ...itemsOf(second)].map((i) => i.status)).toEqual([429, 429, 429, 201]);
    expect(itemsOf(first)[0]?.error?.type).toBe('es_rejected_execution_exception');
    expect([...t.server.documents('f').keys()]).toEqual(['4']);
  });

  it('item-reject: every item with that _id fails (default 400 document_parsing_exception) until cleared', async () => {
    t.server.inject({ kind: 'item-reject', id: 'poison' });
    t.server.inject({ kind: 'item-reject', id: 'other', status: 400, type: 'mapper_parsing_exception', reason: 'bad' });
    for (let round = 0; round < 2; round++) {
      const r = await t.client.bulk({ operations: ops('f', ['poison', 'other', 'fine']) });
      expect(itemsOf(r).map((i) => [i.status, i.error?.type])).toEqual([
        [400, 'document_parsing_exception'],
        [400, 'mapper_parsing_exception'],
        [round === 0 ? 201 : 200, undefined],
      ]);
    }
    expect([...t.server.documents('f').keys()]).toEqual(['fine']);
    t.server.clearFaults();
    expect((await t.client.bulk({ operations: ops('f', ['poison']) })).errors).toBe(false);
  });

  it('request-status: the next N bulk requests get that status and an ES error body (ResponseError 503), other endpoints are untouched', async () => {
    t.server.inject({ kind: 'request-status', status: 503, count: 1 });
    await t.client.info();
    const err = await t.client.bulk({ operations: ops('f', ['1']) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.ResponseError);
    expect((err as errors.ResponseError).statusCode).toBe(503);
    expect((err as errors.ResponseError).body).toMatchObject({ status: 503, error: { type: expect.any(String), reason: expect.any(String) } });
    t.server.inject({ kind: 'request-status', status: 413, count: 1 });
    await expect(t.client.bulk({ operations: ops('f', ['1']) })).rejects.toMatchObject({ statusCode: 413 });
    expect((await t.client.bulk({ operations: ops('f', ['1']) })).errors).toBe(false);
    expect(t.server.stats.bulkRequests).toBe(1);
  });

  it('drop: the next N bulk requests lose their connection (ConnectionError), and nothing is stored', async () => {
    t.server.inject({ kind: 'drop', count: 1 });
    await expect(t.client.bulk({ operations: ops('f', ['1']) })).rejects.toBeInstanceOf(errors.ConnectionError);
    expect(t.server.indices()).toEqual([]);
    expect((await t.client.bulk({ operations: ops('f', ['2']) })).errors).toBe(false);
  });

  it('request-too-large: every bulk body over maxBytes gets 413, smaller ones pass, and the log says which was answered what', async () => {
    t.server.inject({ kind: 'request-too-large', maxBytes: 200 });
    const big = ops(
      'f',
      Array.from({ length: 10 }, (_, i) => `big-${i}`),
    );
    for (let round = 0; round < 2; round++)
      await expect(t.client.bulk({ operations: big })).rejects.toMatchObject({ statusCode: 413, body: { error: { type: 'request_entity_too_large' } } });
    expect((await t.client.bulk({ operations: ops('f', ['small']) })).errors).toBe(false);
    expect(t.server.requests.filter((r) => r.path.endsWith('/_bulk')).map((r) => [r.status, r.bodyBytes > 200])).toEqual([
      [413, true],
      [413, true],
      [200, false],
    ]);
    expect([...t.server.documents('f').keys()]).toEqual(['small']);
  });

  it('indexing-pressure: every bulk body over maxBytes gets 429 es_rejected_execution_exception, worded as a coordinating node does', async () => {
    t.server.inject({ kind: 'indexing-pressure', maxBytes: 200 });
    const err = (await t.client
      .bulk({
        operations: ops(
          'f',
          Array.from({ length: 10 }, (_, i) => `big-${i}`),
        ),
      })
      .catch((e: unknown) => e)) as errors.ResponseError;
    expect(err.statusCode).toBe(429);
    expect(err.body).toMatchObject({
      status: 429,
      error: {
        type: 'es_rejected_execution_exception',
        reason: expect.stringMatching(
          new RegExp(
            /^rejected execution of coordinating operation \[coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, /.source +
              /coordinating_operation_bytes=\d+, max_coordinating_and_primary_bytes=200\]$/.source,
          ),
        ),
      },
    });
    expect((await t.client.bulk({ operations: ops('f', ['small']) })).errors).toBe(false);
    t.server.clearFaults();
    expect(
      (
        await t.client.bulk({
          operations: ops(
            'f',
            Array.from({ length: 10 }, (_, i) => `big-${i}`),
          ),
        })
      ).errors,
    ).toBe(false);
  });

  it('clearFaults removes pending request faults too', async () => {
    t.server.inject({ kind: 'drop', count: 5 });
    t.server.inject({ kind: 'request-status', status: 429, count: 5 });
    t.server.inject({ kind: 'item-429', count: 5 });
    t.server.clearFaults();
    expect((await t.client.bulk({ operations: ops('f', ['1']) })).errors).toBe(false);
  });
});

describe('concurrency', () => {
  const t = useServer({ latencyMs: 50 });

  it('stats.maxConcurrentBulk counts bulk requests in flight at once', async () => {
    await t.client.bulk({ operations: ops('c', ['0']) });
    expect(t.server.stats.maxConcurrentBulk).toBe(1);
    await Promise.all([t.client.bulk({ operations: ops('c', ['1']) }), t.client.bulk({ operations: ops('c', ['2']) })]);
    expect(t.server.stats.maxConcurrentBulk).toBe(2);
    expect(t.server.documents('c').size).toBe(3);
  });

  it('delays every answer by latencyMs', async () => {
    const started = performance.now();
    await t.client.info();
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });
});
