import { describe, expect, it } from 'vitest';
import { imageFindings, type QualysSimulator, type RawImage, type SimulatorOptions } from '@qcs-export/qualys-simulator';
import { enrichImages, imageSource, normalizeImage, type EnrichOptions, type ImageRecord, type Logger } from '../src/index.js';
import { useSimulatorClient } from './simulator-client.js';

// Issue 17: findings are never silently lost or invented. Every case runs against the simulator over loopback.

const startSimulatorClient = useSimulatorClient();
const setup = (options: SimulatorOptions = {}) => startSimulatorClient({ images: 200, ...options });

function warnings(): { logger: Logger; warned: string[] } {
  const warned: string[] = [];
  return { warned, logger: { debug() {}, info() {}, error() {}, warn: (m) => void warned.push(m) } };
}

/** The images as the /images list gives them (the list strategy's records). */
const listed = (images: readonly RawImage[]): ImageRecord[] => images.map((i) => normalizeImage(i, 'images'));
const vulnerable = (s: QualysSimulator) => s.images().filter((i) => imageFindings(i).length > 0);

async function enrichAll(records: ImageRecord[], options: EnrichOptions) {
  const enriched = enrichImages(
    (async function* () {
      yield records;
    })(),
    options,
  );
  const out: ImageRecord[] = [];
  for await (const batch of enriched) out.push(...batch);
  return { out, stats: enriched.stats };
}

const recheckOf = (s: QualysSimulator, sha: string) => s.requests.filter((r) => r.path === '/csapi/v1.3/images' && r.query['filter'] === `sha:${sha}`);

describe('a findings call answering 404 (point 6)', () => {
  for (const from of ['details', 'vuln'] as const) {
    it(`for an image the list still holds fails the run loudly, naming the image and the call (from: ${from})`, async () => {
      const { sim, client } = await setup();
      const target = vulnerable(sim)[3] ?? expect.unreachable();
      sim.inject({ kind: 'status', status: 404, path: `/csapi/v1.3/images/${target.sha}` });
      const run = enrichAll(listed(vulnerable(sim).slice(0, 10)), { client, from, concurrency: 2 });
      const path = `/csapi/v1.3/images/${target.sha}${from === 'vuln' ? '/vuln' : ''}`;
      await expect(run).rejects.toMatchObject({
        code: 'QCS_SOURCE_INCONSISTENT',
        message: expect.stringContaining(`GET ${path} answered 404 for image ${target.sha}, but the image list still holds it`),
      });
      // One re-check per 404, on the /images/** budget.
      expect(recheckOf(sim, target.sha)).toHaveLength(1);
    });
  }

  it('for an image removed since the list is exported without findings, counted and warned about, after one re-check', async () => {
    const { sim, client } = await setup();
    const images = vulnerable(sim).slice(0, 10);
    const target = images[4] ?? expect.unreachable();
    sim.inject({ kind: 'removeImage', path: `/csapi/v1.3/images/${target.sha}` });
    const { logger, warned } = warnings();
    const { out, stats } = await enrichAll(listed(images), { client, logger, from: 'vuln', concurrency: 3 });
    expect(out.map((i) => i.sha)).toEqual(images.map((i) => i.sha));
    const gone = out.find((i) => i.sha === target.sha);
    expect(gone?.vulnerabilities).toBeNull();
    expect(out.filter((i) => i.sha !== target.sha).every((i) => (i.vulnerabilities?.length ?? 0) > 0)).toBe(true);
    expect(stats).toMatchObject({ missing: 1, missingShas: [target.sha], rechecks: 1, calls: 10 });
    expect(recheckOf(sim, target.sha)).toHaveLength(1);
    expect(warned).toEqual([expect.stringMatching(new RegExp(`image ${target.sha} is gone: GET .*/vuln answered 404 and the image list no longer holds it`))]);
  });

  it('a re-check that cannot tell (a 503, then a 404 on the retry) fails the run loudly too', async () => {
    const { sim, client } = await setup();
    const target = vulnerable(sim)[0] ?? expect.unreachable();
    sim.inject({ kind: 'status', status: 404, path: `/csapi/v1.3/images/${target.sha}` });
    sim.inject({ kind: 'status', status: 503, path: '/csapi/v1.3/images' });
    sim.inject({ kind: 'status', status: 404, path: '/csapi/v1.3/images' });
    const run = enrichAll(listed([target]), { client });
    await expect(run).rejects.toMatchObject({
      code: 'QCS_SOURCE_INCONSISTENT',
      message: expect.stringMatching(/answered 404 for image [0-9a-f]{64}, and checking whether the image still exists failed too .*HTTP 404/),
    });
    expect(recheckOf(sim, target.sha).map((r) => r.status)).toEqual([503, 404]);
  });
});

describe('excepted findings (point 7)', () => {
  it('/vuln is asked with applyException=false, and the excepted findings are exported marked as exempted', async () => {
    const { sim, client } = await setup();
    const images = vulnerable(sim).slice(0, 40);
    const expected = images.flatMap((i) => imageFindings(i));
    const excepted = expected.filter((f) => f['isExempted'] === true).length;
    expect(excepted).toBeGreaterThan(0);
    const { out, stats } = await enrichAll(listed(images), { client, from: 'vuln' });
    const vulnCalls = sim.requests.filter((r) => r.path.endsWith('/vuln'));
    expect(vulnCalls).toHaveLength(images.length);
    expect(vulnCalls.every((r) => r.query['applyException'] === 'false')).toBe(true);
    const findings = out.flatMap((i) => i.vulnerabilities ?? []);
    expect(findings).toHaveLength(expected.length);
    expect(findings.filter((f) => f.isExempted === true)).toHaveLength(excepted);
    expect(stats).toMatchObject({ findings: expected.length, exempted: excepted, countMismatches: 0 });
  });
});

describe('images listed clean by a tenant whose list counts leave excepted findings out (point 7)', () => {
  it('get no call by default; includeClean asks for their findings, and the excepted ones are exported as exempted', async () => {
    const { sim, client } = await setup({ images: 400 });
    const withExceptions = sim
      .images()
      .filter((i) => imageFindings(i).some((f) => f['isExempted'] === true))
      .slice(0, 10);
    expect(withExceptions.length).toBeGreaterThan(0);
    // What such a tenant lists for an image whose every finding is excepted: all-zero counts.
    const zeros = { severity1Count: 0, severity2Count: 0, severity3Count: 0, severity4Count: 0, severity5Count: 0 };
    const records = withExceptions.map((i) => normalizeImage({ ...i, vulnerabilities: zeros }, 'images'));
    expect(records.every((r) => r.vulnerabilityCounts?.total === 0)).toBe(true);
    const expected = withExceptions.flatMap((i) => imageFindings(i));

    const skipped = await enrichAll(records, { client, from: 'vuln' });
    expect(skipped.stats).toMatchObject({ calls: 0, skippedClean: records.length, findings: 0 });

    const asked = await enrichAll(records, { client, from: 'vuln', includeClean: true });
    const findings = asked.out.flatMap((i) => i.vulnerabilities ?? []);
    expect(findings).toHaveLength(expected.length);
    expect(findings.filter((f) => f.isExempted === true)).toHaveLength(expected.filter((f) => f['isExempted'] === true).length);
    expect(asked.stats).toMatchObject({ calls: records.length, skippedClean: 0 });
  });
});

describe('unknown stays unknown (point 8)', () => {
  it('a never-scanned image (null counts in the list) keeps null counts and gets no findings, whatever its details say', async () => {
    const { sim, client } = await setup();
    const never = sim.images().filter((i) => i.vulnerabilities === null);
    expect(never.length).toBeGreaterThan(1);
    const records = listed([...never, ...vulnerable(sim).slice(0, 5)]);
    for (const from of ['details', 'vuln'] as const) {
      const { out, stats } = await enrichAll(records, { client, from });
      for (const image of out.slice(0, never.length)) expect(image).toMatchObject({ vulnerabilityCounts: null, vulnerabilities: null });
      expect(out.slice(never.length).every((i) => (i.vulnerabilityCounts?.total ?? 0) > 0)).toBe(true);
      expect(stats.notScanned).toBe(never.length);
    }
  });

  it('with the bulk strategy, a never-scanned image keeps null counts and a scanned clean one gets zeros', async () => {
    const { sim, client } = await setup({ images: 300 });
    const raw = new Map(sim.images().map((i) => [i.sha, i]));
    const enriched = enrichImages(imageSource({ client, strategy: 'bulk' }), { client });
    const out: ImageRecord[] = [];
    for await (const batch of enriched) out.push(...batch);
    expect(out).toHaveLength(300);
    let never = 0;
    for (const image of out) {
      const counts = raw.get(image.sha)?.vulnerabilities;
      if (counts === null) {
        never++;
        expect(image).toMatchObject({ vulnerabilityCounts: null, vulnerabilities: null });
      } else expect(image.vulnerabilityCounts?.total).toBe(Object.values(counts ?? {}).reduce<number>((a, b) => a + (b ?? 0), 0));
    }
    expect(never).toBeGreaterThan(1);
    expect(enriched.stats.notScanned).toBe(never);
  });

  it('list counts that disagree with the findings are counted, kept in a few examples, and told in one warning with the numbers', async () => {
    const { sim, client } = await setup({ listCountsExcludeExceptions: true });
    const { logger, warned } = warnings();
    const enriched = enrichImages(imageSource({ client, strategy: 'images', pageSize: 50 }), { client, from: 'vuln', logger });
    const out: ImageRecord[] = [];
    for await (const batch of enriched) out.push(...batch);
    // An image whose every finding is excepted is listed as clean and needs no call, so it cannot be compared.
    const disagreeing = sim
      .images()
      .filter((i) => imageFindings(i).some((f) => f['isExempted'] === true) && imageFindings(i).some((f) => f['isExempted'] !== true));
    expect(disagreeing.length).toBeGreaterThan(5);
    const { stats } = enriched;
    expect(stats.countMismatches).toBe(disagreeing.length);
    expect(stats.mismatchExamples).toHaveLength(5);
    const example = stats.mismatchExamples[0] ?? expect.unreachable();
    const exceptedThere = imageFindings(sim.images().find((i) => i.sha === example.sha) as RawImage).filter((f) => f['isExempted'] === true).length;
    expect(example.found.total - example.listed.total).toBe(exceptedThere);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(
      new RegExp(`^${disagreeing.length} images have severity counts in the image list that disagree with the findings GET .*/vuln returned`),
    );
    expect(warned[0]).toContain(`${example.sha} (list ${example.listed.total}, findings ${example.found.total}: severity`);
    // The image keeps the list's counts; its findings are all exported.
    const image = out.find((i) => i.sha === example.sha);
    expect(image?.vulnerabilityCounts?.total).toBe(example.listed.total);
    expect(image?.vulnerabilities).toHaveLength(example.found.total);
  });
});
