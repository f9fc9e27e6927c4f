import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  enrichImages,
  enrichSoftware,
  HttpError,
  normalizeImage,
  QualysClient,
  SourceInconsistentError,
  type ImageRecord,
  type Logger,
  type QualysGetter,
  type SoftwareOptions,
} from '../src/index.js';
import { useLoopbackCleanup } from './loopback-cleanup.js';

// The software inventory's source side (issue 21 point 4), over real loopback HTTP: a small server of its own answers
// GET /csapi/v1.3/images/{sha}/software (and the image list's re-check, and the image details for the chained run).

const { servers, clients } = useLoopbackCleanup();

const shaOf = (n: number) => n.toString(16).padStart(64, '0');
const image = (n: number): ImageRecord =>
  normalizeImage(
    { sha: shaOf(n), imageId: `img${n}`, repo: [{ registry: 'r', repository: `app${n}`, tag: 'v1' }], vulnerabilities: { severity3Count: 1 } },
    'images',
  );

/** Qualys' doc shape of one package, the n-th of its image. */
const rawPackage = (n: number) => ({
  name: `pkg${n}`,
  version: `1.${n}`,
  scanType: 'STATIC',
  packagePath: `/usr/lib/pkg${n}`,
  fixVersion: null,
  lifecycle: { stage: 'GA', lifeCycleConfidence: 'EXACT', eol: '-631152000000', eos: '-631152000000', ga: '1536624000000' },
  vulnerabilities: { severity1Count: null, severity2Count: null, severity3Count: null, severity4Count: null, severity5Count: null },
});

type Answer = { status: number; body?: unknown; delayMs?: number };

interface Inventory {
  /** Packages of the image: the server pages them by pageNumber/pageSize and counts them. */
  packages?: number;
  /** Leave `count` out of the answer (and page nothing: the whole list in one answer). */
  noCount?: boolean;
  /** Answer this instead. */
  answer?: Answer;
}

interface FakeQualys {
  /** The client, counting its calls not settled yet (`pending`): what the enrichment leaves in flight. */
  client: QualysGetter;
  pending: () => number;
  /** Every call, in arrival order: path and query. */
  calls: Array<{ path: string; query: Record<string, string> }>;
  /** Calls being answered now, and the most at once. */
  inFlight: () => number;
  most: () => number;
}

/**
 * A loopback Qualys answering `/images/{sha}/software` from `inventory(sha)` (by default after a short random delay,
 * so that answers come back out of order), the image list filtered by sha from `listed`, and an image's details
 * with one finding.
 */
async function fakeQualys(
  inventory: (sha: string) => Inventory,
  listed: ReadonlySet<string> = new Set(),
  delay = () => Math.random() * 8,
): Promise<FakeQualys> {
  const calls: FakeQualys['calls'] = [];
  let inFlight = 0;
  let most = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    calls.push({ path: url.pathname, query });
    most = Math.max(most, ++inFlight);
    let sent = false;
    const send = ({ status, body }: Answer) => {
      sent = true;
      inFlight--;
      if (status === 204) res.writeHead(204).end();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
    };
    const software = /^\/csapi\/v1\.3\/images\/([0-9a-f]{64})\/software$/.exec(url.pathname);
    const details = /^\/csapi\/v1\.3\/images\/([0-9a-f]{64})$/.exec(url.pathname);
    let answer: Answer;
    if (software) {
      const inv = inventory(software[1] as string);
      if (inv.answer) answer = inv.answer;
      else {
        const all = Array.from({ length: inv.packages ?? 0 }, (_, i) => rawPackage(i + 1));
        const size = Number(query['pageSize']);
        const number = Number(query['pageNumber']);
        answer = inv.noCount
          ? { status: 200, body: { data: all } }
          : { status: 200, body: { data: all.slice((number - 1) * size, number * size), count: all.length } };
      }
    } else if (details) {
      answer = { status: 200, body: { sha: details[1], vulnerabilities: [{ qid: 7, severity: 3 }] } };
    } else if (url.pathname === '/csapi/v1.3/images') {
      const sha = (query['filter'] ?? '').replace(/^sha:/, '');
      answer = listed.has(sha) ? { status: 200, body: { data: [{ sha }], count: 1 } } : { status: 200, body: { data: [], count: 0 } };
    } else answer = { status: 404, body: { message: 'no such path' } };
    const timer = setTimeout(() => send(answer), answer.delayMs ?? delay());
    // A call the client gave up on (aborted) is not answered: its connection is gone.
    res.on('close', () => {
      if (sent) return;
      clearTimeout(timer);
      inFlight--;
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new QualysClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    auth: { kind: 'token', token: 't.o.k' },
    env: {},
    retry: { maxRetries: 0, baseDelayMs: 5, maxDelayMs: 20 },
  });
  clients.push(client);
  let pending = 0;
  const counting: QualysGetter = {
    get: async (path, query, options) => {
      pending++;
      try {
        return await client.get(path, query, options);
      } finally {
        pending--;
      }
    },
  };
  return { client: counting, pending: () => pending, calls, inFlight: () => inFlight, most: () => most };
}

async function* of(...batches: ImageRecord[][]) {
  yield* batches;
}

async function collect(batches: AsyncIterable<ImageRecord[]>): Promise<ImageRecord[][]> {
  const out: ImageRecord[][] = [];
  for await (const b of batches) out.push(b);
  return out;
}

function warnings(): { logger: Logger; warned: string[] } {
  const warned: string[] = [];
  return { warned, logger: { debug() {}, info() {}, error() {}, warn: (m) => void warned.push(m) } };
}

const softwareCalls = (q: FakeQualys, n?: number) => q.calls.filter((c) => c.path.endsWith(n === undefined ? '/software' : `${shaOf(n)}/software`));

describe('enrichSoftware', () => {
  it('gives every image its packages, keeps the batches and images in order, and bounds the calls in flight', async () => {
    // Image n has n % 7 packages, counted; every 5th answers 204, every 6th {data: null}: no software.
    const q = await fakeQualys((sha) => {
      const n = Number.parseInt(sha, 16);
      if (n % 5 === 0) return { answer: { status: 204 } };
      if (n % 6 === 0) return { answer: { status: 200, body: { data: null } } };
      return { packages: n % 7 };
    });
    const batches = [Array.from({ length: 25 }, (_, i) => image(i + 1)), Array.from({ length: 15 }, (_, i) => image(i + 26))];
    const enriched = enrichSoftware(of(...batches), { client: q.client, concurrency: 4, batchImages: 10 });
    const out = await collect(enriched);

    expect(out.map((b) => b.length)).toEqual([10, 10, 5, 10, 5]);
    const images = out.flat();
    expect(images.map((i) => i.sha)).toEqual(Array.from({ length: 40 }, (_, i) => shaOf(i + 1)));
    const expectedCount = (n: number) => (n % 5 === 0 || n % 6 === 0 ? 0 : n % 7);
    for (const [i, img] of images.entries()) {
      const n = i + 1;
      expect(img.software?.map((p) => p.name)).toEqual(Array.from({ length: expectedCount(n) }, (_, k) => `pkg${k + 1}`));
      // The image's own fields are kept.
      expect(img).toMatchObject({ imageId: `img${n}`, vulnerabilityCounts: { severity3Count: 1, total: 1 } });
    }
    expect(images[0]?.software?.[0]).toEqual({
      name: 'pkg1',
      version: '1.1',
      fixVersion: null,
      packagePath: '/usr/lib/pkg1',
      scanType: 'STATIC',
      lifecycleStage: 'GA',
      lifecycleConfidence: 'EXACT',
      endOfLife: null,
      endOfSupport: null,
      generalAvailability: '2018-09-11T00:00:00.000Z',
      vulnerabilityCounts: null,
      extra: {},
    });
    expect(q.most()).toBe(4);
    const packages = Array.from({ length: 40 }, (_, i) => expectedCount(i + 1)).reduce((a, b) => a + b, 0);
    const without = Array.from({ length: 40 }, (_, i) => expectedCount(i + 1)).filter((c) => c === 0).length;
    expect(enriched.stats).toEqual({ calls: 40, packages, imagesWithoutSoftware: without, missing: 0, missingShas: [], rechecks: 0 });
    // Every call asks for a first page of 1,000.
    expect(new Set(softwareCalls(q).map((c) => `${c.query['pageNumber']}/${c.query['pageSize']}`))).toEqual(new Set(['1/1000']));
  });

  it('follows enrichImages: the image keeps its findings and gets its software', async () => {
    const q = await fakeQualys(() => ({ packages: 2 }));
    const findings = enrichImages(of([image(1), image(2), image(3)]), { client: q.client, concurrency: 2 });
    const out = (await collect(enrichSoftware(findings, { client: q.client, concurrency: 2 }))).flat();
    expect(out.map((i) => [i.vulnerabilities?.map((f) => f.qid), i.software?.map((p) => p.name)])).toEqual([
      [[7], ['pkg1', 'pkg2']],
      [[7], ['pkg1', 'pkg2']],
      [[7], ['pkg1', 'pkg2']],
    ]);
  });

  it('reads a paged list whole: pageNumber 2, 3… while fewer packages than `count` were read', async () => {
    const q = await fakeQualys((sha) => (sha === shaOf(1) ? { packages: 2500 } : sha === shaOf(2) ? { packages: 1000 } : { packages: 23 }));
    const defaults = enrichSoftware(of([image(1), image(2)]), { client: q.client });
    const [big, exact] = (await collect(defaults)).flat();
    expect(big?.software?.map((p) => p.name)).toEqual(Array.from({ length: 2500 }, (_, i) => `pkg${i + 1}`));
    expect(softwareCalls(q, 1).map((c) => c.query)).toEqual([
      { pageNumber: '1', pageSize: '1000' },
      { pageNumber: '2', pageSize: '1000' },
      { pageNumber: '3', pageSize: '1000' },
    ]);
    // A count the first page reaches needs no second call.
    expect(exact?.software).toHaveLength(1000);
    expect(softwareCalls(q, 2)).toHaveLength(1);
    expect(defaults.stats).toMatchObject({ calls: 4, packages: 3500 });

    const small = enrichSoftware(of([image(3)]), { client: q.client, pageSize: 5 });
    const [paged] = (await collect(small)).flat();
    expect(paged?.software?.map((p) => p.name)).toEqual(Array.from({ length: 23 }, (_, i) => `pkg${i + 1}`));
    expect(softwareCalls(q, 3).map((c) => c.query['pageNumber'])).toEqual(['1', '2', '3', '4', '5']);
  });

  it('without a count, one answer is the whole list, however long', async () => {
    const q = await fakeQualys(() => ({ packages: 1200, noCount: true }));
    const [only] = (await collect(enrichSoftware(of([image(1)]), { client: q.client }))).flat();
    expect(only?.software).toHaveLength(1200);
    expect(softwareCalls(q)).toHaveLength(1);
  });

  it('a list whose pages end before its count fails the run rather than exporting part of it', async () => {
    const q = await fakeQualys(() => ({ answer: { status: 200, body: { data: [], count: 3 } } }));
    await expect(collect(enrichSoftware(of([image(1)]), { client: q.client }))).rejects.toMatchObject({
      code: 'QCS_SOURCE_INCONSISTENT',
      message: expect.stringMatching(/answered with no packages \("data": \[\]\), although the software list of image [0-9a-f]{64} counts 3 and 0 were read/),
    });
  });

  it('a server that hands the same page out again (pageNumber ignored) fails the run instead of exporting duplicates', async () => {
    const q = await fakeQualys(() => ({ answer: { status: 200, body: { data: [rawPackage(1), rawPackage(2)], count: 5 } } }));
    await expect(collect(enrichSoftware(of([image(1)]), { client: q.client }))).rejects.toMatchObject({
      code: 'QCS_PROTOCOL',
      message: expect.stringContaining('the server does not page this list'),
    });
    expect(softwareCalls(q)).toHaveLength(2);
  });

  it('an image gone since the list (404, and the image list no longer holds it) is exported with software: null, counted and warned about', async () => {
    const q = await fakeQualys((sha) => (sha === shaOf(2) ? { answer: { status: 404, body: { message: 'image not found' } } } : { packages: 1 }));
    const { logger, warned } = warnings();
    const enriched = enrichSoftware(of([image(1), image(2), image(3)]), { client: q.client, logger });
    const out = (await collect(enriched)).flat();
    expect(out.map((i) => i.software?.length ?? null)).toEqual([1, null, 1]);
    expect(out[1]).toMatchObject({ sha: shaOf(2), imageId: 'img2' });
    expect(enriched.stats).toEqual({ calls: 3, packages: 2, imagesWithoutSoftware: 0, missing: 1, missingShas: [shaOf(2)], rechecks: 1 });
    expect(q.calls.filter((c) => c.path === '/csapi/v1.3/images')).toEqual([
      { path: '/csapi/v1.3/images', query: { filter: `sha:${shaOf(2)}`, pageNumber: '1', pageSize: '1' } },
    ]);
    expect(warned).toEqual([expect.stringMatching(new RegExp(`image ${shaOf(2)} is gone: GET .*/software.* answered 404 .*exported without software`))]);
  });

  it('an image whose software answers 404 while the image list still holds it fails the run loudly', async () => {
    const q = await fakeQualys((sha) => (sha === shaOf(2) ? { answer: { status: 404 } } : { packages: 1 }), new Set([shaOf(2)]));
    const run = collect(enrichSoftware(of([image(1), image(2), image(3)]), { client: q.client }));
    await expect(run).rejects.toBeInstanceOf(SourceInconsistentError);
    await expect(run).rejects.toMatchObject({
      code: 'QCS_SOURCE_INCONSISTENT',
      message: expect.stringContaining(`answered 404 for image ${shaOf(2)}, but the image list still holds it`),
    });
  });

  it('a 500 fails the run (the client has no retries left), with no call left in flight and none of those queued made', async () => {
    const q = await fakeQualys((sha) => (sha === shaOf(5) ? { answer: { status: 500, body: { message: 'boom' } } } : { packages: 1 }));
    const run = collect(enrichSoftware(of(Array.from({ length: 40 }, (_, i) => image(i + 1))), { client: q.client, concurrency: 3, batchImages: 8 }));
    await expect(run).rejects.toBeInstanceOf(HttpError);
    await expect(run).rejects.toMatchObject({ status: 500 });
    expect(softwareCalls(q, 5)).toHaveLength(1);
    expect(q.pending()).toBe(0);
    // At most the two batches out when it came were asked for.
    expect(softwareCalls(q).length).toBeLessThanOrEqual(16);
  });

  it('a consumer that stops early leaves no call in flight and starts no more: the calls still out are aborted', async () => {
    // The second batch's answers take 10 s: the consumer's stop must not wait for them.
    const q = await fakeQualys((sha) =>
      Number.parseInt(sha, 16) > 10 ? { answer: { status: 200, body: { data: [], count: 0 }, delayMs: 10_000 } } : { packages: 3 },
    );
    const enriched = enrichSoftware(of(Array.from({ length: 200 }, (_, i) => image(i + 1))), { client: q.client, concurrency: 4, batchImages: 10 });
    let first: ImageRecord[] | undefined;
    const started = Date.now();
    for await (const batch of enriched) {
      first = batch;
      break;
    }
    expect(Date.now() - started).toBeLessThan(5000);
    expect(first?.map((i) => i.software?.length)).toEqual(Array(10).fill(3));
    expect(q.pending()).toBe(0);
    const made = softwareCalls(q).length;
    // The first batch and the calls of the second that had a slot: never the whole source.
    expect(made).toBeLessThanOrEqual(14);
    await new Promise((r) => setTimeout(r, 50));
    expect(softwareCalls(q)).toHaveLength(made);
  });

  it('takes the usual options', () => {
    const options: SoftwareOptions = { client: { get: async () => ({ status: 204, headers: {}, body: null }) }, concurrency: 1, pageSize: 10 };
    expect(enrichSoftware(of(), options).stats).toEqual({ calls: 0, packages: 0, imagesWithoutSoftware: 0, missing: 0, missingShas: [], rechecks: 0 });
  });
});
