import { describe, expect, it } from 'vitest';
import { enrichImages, HttpError, normalizeImage, type ImageRecord, type Logger, type QualysGetter } from '../src/index.js';

const image = (n: number, counts: Record<string, number> | null): ImageRecord =>
  normalizeImage({ sha: n.toString(16).padStart(64, '0'), vulnerabilities: counts }, 'images');

async function collect(batches: AsyncIterable<ImageRecord[]>): Promise<ImageRecord[][]> {
  const out: ImageRecord[][] = [];
  for await (const b of batches) out.push(b);
  return out;
}

async function* of(...batches: ImageRecord[][]) {
  yield* batches;
}

describe('enrichImages', () => {
  it('fetches the details of each image that has vulnerabilities, keeps order, and skips clean images', async () => {
    const asked: string[] = [];
    const client: QualysGetter = {
      get: async (path) => {
        asked.push(path);
        return {
          status: 200,
          headers: {},
          body: {
            vulnerabilities: [
              { qid: 1, severity: 5 },
              { qid: 2, severity: 3 },
            ],
          } as never,
        };
      },
    };
    const clean = image(2, { severity1Count: 0, severity2Count: 0, severity3Count: 0, severity4Count: 0, severity5Count: 0 });
    const enriched = enrichImages(of([image(1, { severity5Count: 1, severity3Count: 1 }), clean], [image(3, null)]), { client });
    const batches = await collect(enriched);
    expect(batches.map((b) => b.map((i) => i.sha.slice(-1)))).toEqual([['1', '2'], ['3']]);
    expect(asked).toEqual([`/csapi/v1.3/images/${'1'.padStart(64, '0')}`, `/csapi/v1.3/images/${'3'.padStart(64, '0')}`]);
    expect(batches[0]?.[0]?.vulnerabilities?.map((f) => f.qid)).toEqual([1, 2]);
    expect(batches[0]?.[1]?.vulnerabilities).toEqual([]);
    // The list gave no counts for image 3: they come from its findings.
    expect(batches[1]?.[0]?.vulnerabilityCounts).toMatchObject({ severity5Count: 1, severity3Count: 1, total: 2 });
    expect(enriched.stats).toEqual({
      calls: 2,
      skippedClean: 1,
      missing: 0,
      missingShas: [],
      rechecks: 0,
      findings: 4,
      exempted: 0,
      exceptionCalls: 0,
      exceptionsForbidden: 0,
      exceptionsUnknown: 0,
      notScanned: 0,
      // Image 1's list counts agree with its two findings; image 3's list gave none to compare.
      countMismatches: 0,
      mismatchExamples: [],
    });
  });

  it('an image gone since the list (404, or 204 with no body), which the list no longer holds either, is exported without findings and reported', async () => {
    const warned: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => void warned.push(m) };
    let call = 0;
    const client: QualysGetter = {
      get: async () => {
        call++;
        if (call === 1) throw new HttpError(404, 'GET … failed with HTTP 404');
        return { status: 204, headers: {}, body: null };
      },
    };
    const enriched = enrichImages(of([image(1, { severity5Count: 1 }), image(2, { severity4Count: 2 })]), { client, logger, concurrency: 1 });
    const [batch] = await collect(enriched);
    expect(batch?.map((i) => i.vulnerabilities)).toEqual([null, null]);
    expect(enriched.stats).toMatchObject({ missing: 2, rechecks: 2, calls: 2 });
    expect(warned).toHaveLength(2);
    expect(warned[0]).toMatch(/exported without findings/);
  });

  it('another failure fails the run', async () => {
    const client: QualysGetter = { get: async () => Promise.reject(new HttpError(500, 'GET … failed with HTTP 500')) };
    await expect(collect(enrichImages(of([image(1, { severity5Count: 1 })]), { client }))).rejects.toThrow(/HTTP 500/);
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const client: QualysGetter = {
      get: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        return { status: 200, headers: {}, body: { vulnerabilities: [] } as never };
      },
    };
    const batch = Array.from({ length: 40 }, (_, i) => image(i + 1, { severity3Count: 1 }));
    await collect(enrichImages(of(batch), { client, concurrency: 5 }));
    expect(most).toBe(5);
  });
});

describe('enrichImages keeps the rate budget busy across batches', () => {
  it("starts the next batch's calls while the current batch's last call is still out (no barrier between batches)", async () => {
    const shaOf = (n: number) => n.toString(16).padStart(64, '0');
    let releaseLast: (byNextBatch: boolean) => void = () => undefined;
    const lastReleased = new Promise<boolean>((r) => (releaseLast = r));
    // Only a fallback so that a barrier makes the test fail instead of hanging.
    const fallback = setTimeout(() => releaseLast(false), 2000);
    const client: QualysGetter = {
      get: async (path) => {
        if (path.endsWith(shaOf(5))) releaseLast(true);
        if (path.endsWith(shaOf(4))) await lastReleased;
        return { status: 200, headers: {}, body: { vulnerabilities: [{ qid: 1, severity: 3 }] } as never };
      },
    };
    const page = Array.from({ length: 8 }, (_, i) => image(i + 1, { severity3Count: 1 }));
    const batches = await collect(enrichImages(of(page), { client, concurrency: 2, batchImages: 4 }));
    clearTimeout(fallback);
    expect(await lastReleased).toBe(true);
    expect(batches.map((b) => b.map((i) => i.sha))).toEqual([page.slice(0, 4).map((i) => i.sha), page.slice(4).map((i) => i.sha)]);
  });

  it('a failure in the batch behind fails the run with its own error, after the batch before it was handed on', async () => {
    const shaOf = (n: number) => n.toString(16).padStart(64, '0');
    const client: QualysGetter = {
      get: async (path) => {
        if (path.endsWith(shaOf(3))) throw new HttpError(500, 'GET … failed with HTTP 500');
        return { status: 200, headers: {}, body: { vulnerabilities: [{ qid: 1, severity: 3 }] } as never };
      },
    };
    const page = Array.from({ length: 6 }, (_, i) => image(i + 1, { severity3Count: 1 }));
    const handed: number[] = [];
    const run = (async () => {
      for await (const b of enrichImages(of(page), { client, concurrency: 4, batchImages: 2 })) handed.push(b.length);
    })();
    await expect(run).rejects.toThrow(/HTTP 500/);
    expect(handed).toEqual([2]);
  });
});

describe('enrichImages memory', () => {
  it('holds at most one batch ahead of the consumer, however many findings each image has', async () => {
    let pulled = 0;
    let consumed = 0;
    let mostAhead = 0;
    async function* source() {
      for (let b = 0; b < 20; b++) {
        pulled++;
        mostAhead = Math.max(mostAhead, pulled - consumed);
        yield Array.from({ length: 10 }, (_, i) => image(b * 10 + i + 1, { severity3Count: 500 }));
      }
    }
    const many = Array.from({ length: 500 }, (_, q) => ({ qid: q + 1, severity: 3 }));
    const client: QualysGetter = { get: async () => ({ status: 200, headers: {}, body: { vulnerabilities: many } as never }) };
    for await (const batch of enrichImages(source(), { client })) {
      expect(batch.every((i) => i.vulnerabilities?.length === 500)).toBe(true);
      // The consumer is slow: the stage must not read further ahead meanwhile.
      await new Promise((r) => setImmediate(r));
      consumed++;
    }
    expect(consumed).toBe(20);
    expect(mostAhead).toBeLessThanOrEqual(2);
  });
});

describe('enrichImages batches', () => {
  it('hands a page on in batches of batchImages, so a page of images with many findings is never held whole', async () => {
    const client: QualysGetter = { get: async () => ({ status: 200, headers: {}, body: { vulnerabilities: [{ qid: 1, severity: 3 }] } as never }) };
    const page = Array.from({ length: 250 }, (_, i) => image(i + 1, { severity3Count: 1 }));
    const sizes: number[] = [];
    for await (const batch of enrichImages(of(page), { client, batchImages: 100 })) sizes.push(batch.length);
    expect(sizes).toEqual([100, 100, 50]);
  });
});

describe('enrichImages never drops findings without a trace', () => {
  const answering = (body: unknown): QualysGetter => ({ get: async () => ({ status: 200, headers: {}, body: body as never }) });

  it('an answer without a findings list, for an image the list counts vulnerabilities for, fails the run', async () => {
    const run = collect(enrichImages(of([image(1, { severity5Count: 2 })]), { client: answering({ sha: 'x' }) }));
    await expect(run).rejects.toMatchObject({
      code: 'QCS_PROTOCOL',
      message: expect.stringMatching(/without a "vulnerabilities" list.*counts 2 vulnerabilities/),
    });
  });

  it('the same answer for an image with no known counts (never scanned) leaves it unknown: no findings, null counts', async () => {
    const enriched = enrichImages(of([image(1, null)]), { client: answering({ sha: 'x', vulnerabilities: null }) });
    const [batch] = await collect(enriched);
    expect(batch?.[0]).toMatchObject({ vulnerabilities: null, vulnerabilityCounts: null });
    expect(enriched.stats.notScanned).toBe(1);
  });

  it('a finding without a QID, or one that is not an object, fails the run rather than being left out', async () => {
    const noQid = collect(
      enrichImages(of([image(1, { severity3Count: 2 })]), { client: answering({ vulnerabilities: [{ qid: 1, severity: 3 }, { severity: 3 }] }) }),
    );
    await expect(noQid).rejects.toMatchObject({ code: 'QCS_PROTOCOL', message: expect.stringMatching(/1 findings without a "qid"/) });
    const notObject = collect(enrichImages(of([image(1, { severity3Count: 2 })]), { client: answering({ vulnerabilities: [{ qid: 1, severity: 3 }, 'x'] }) }));
    await expect(notObject).rejects.toMatchObject({ code: 'QCS_PROTOCOL', message: expect.stringMatching(/not objects/) });
  });
});
