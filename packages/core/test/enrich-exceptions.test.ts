import { describe, expect, it } from 'vitest';
import { imageExceptions, imageFindings, type QualysSimulator, type RawImage } from '@qcs-export/qualys-simulator';
import { enrichImages, findingRows, normalizeImage, type EnrichOptions, type ImageRecord, type Logger, type QualysGetter } from '../src/index.js';
import { useSimulatorClient } from './simulator-client.js';

// Issue 20, point 2: every exempted finding carries the exception over it (name, reason, end) where Qualys gives one,
// and stands apart in the SLA. Against the simulator over loopback, except where a record shape is the point.

const startSimulatorClient = useSimulatorClient();
const NOW = new Date();

async function enrichAll(records: ImageRecord[], options: EnrichOptions) {
  const enriched = enrichImages(
    (async function* () {
      yield records;
    })(),
    { now: NOW, ...options },
  );
  const out: ImageRecord[] = [];
  for await (const batch of enriched) out.push(...batch);
  return { out, stats: enriched.stats };
}

const listed = (images: readonly RawImage[]): ImageRecord[] => images.map((i) => normalizeImage(i, 'images'));
const withExempted = (s: QualysSimulator) => s.images().filter((i) => imageFindings(i).some((f) => f['isExempted'] === true));
const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
const exceptionCalls = (s: QualysSimulator) => s.requests.filter((r) => r.path.endsWith('/exceptions'));

/** What the finding should carry, computed here from the server's raw exceptions: the active ones, else all, combined. */
function expectedException(image: RawImage) {
  const all = imageExceptions(image);
  const now = NOW.getTime();
  const active = all.filter((e) => Number(e['startDate']) <= now && Number(e['endDate']) > now);
  const chosen = active.length > 0 ? active : all;
  const distinct = (key: string) => [...new Set(chosen.map((e) => String(e[key])))].join('; ');
  return {
    name: distinct('name'),
    reason: distinct('reason'),
    endsAt: iso(Math.min(...chosen.map((e) => Number(e['endDate'])))),
  };
}

describe('the exception over exempted findings', () => {
  it('is read once per image with an exempted finding, and every exempted finding of it carries its name, reason and end', async () => {
    const { sim, client } = await startSimulatorClient({ images: 400 });
    const images = withExempted(sim);
    expect(images.length).toBeGreaterThan(5);
    // The sample reaches an image with two exceptions, one of them ended, so "active" is put to the test.
    expect(images.some((i) => imageExceptions(i).length === 2)).toBe(true);
    const others = sim
      .images()
      .filter((i) => imageFindings(i).length > 0 && !images.includes(i))
      .slice(0, 20);
    const { out, stats } = await enrichAll(listed([...images, ...others]), { client });
    expect(exceptionCalls(sim)).toHaveLength(images.length);
    expect(stats).toMatchObject({ exceptionCalls: images.length, exceptionsForbidden: 0, exceptionsUnknown: 0 });
    for (const image of out) {
      const raw = sim.images().find((i) => i.sha === image.sha) as RawImage;
      for (const f of image.vulnerabilities ?? []) {
        if (f.isExempted !== true) {
          expect(f.exception).toBeNull();
          continue;
        }
        expect(f.exception, image.sha).toMatchObject(expectedException(raw));
      }
    }
  });

  it('reaches every finding row: slaStatus exempted, no days overdue, the exception columns filled', async () => {
    const { sim, client } = await startSimulatorClient({ images: 300 });
    const { out } = await enrichAll(listed(withExempted(sim)), { client });
    const rows = out.flatMap((image) => findingRows(image, 'findings', { now: NOW }));
    const exempted = rows.filter((r) => r.exempted === true);
    expect(exempted.length).toBeGreaterThan(0);
    for (const row of exempted) {
      expect(row).toMatchObject({ slaStatus: 'exempted', daysOverdue: null, exceptionReason: expect.stringMatching(/^(RISK_ACCEPTED|FALSE_POSITIVE)/) });
      expect(row.exceptionEndsAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      // Its due date is kept, for the record.
      expect(row.slaDueAt).not.toBeNull();
    }
    for (const row of rows.filter((r) => r.exempted !== true)) {
      expect(row.slaStatus).not.toBe('exempted');
      expect(row).toMatchObject({ exceptionName: null, exceptionReason: null, exceptionEndsAt: null });
    }
  });

  it('a 403 (no permission to read exceptions) keeps the findings exempted without details, asks once, and warns', async () => {
    const { sim, client } = await startSimulatorClient({ images: 300, exceptionsForbidden: true });
    const images = withExempted(sim);
    const warned: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => void warned.push(m) };
    const { out, stats } = await enrichAll(listed(images), { client, logger, concurrency: 1 });
    expect(exceptionCalls(sim)).toHaveLength(1);
    expect(stats.exceptionsForbidden).toBe(images.length);
    const exempted = out.flatMap((i) => i.vulnerabilities ?? []).filter((f) => f.isExempted === true);
    expect(exempted.length).toBeGreaterThan(0);
    expect(exempted.every((f) => f.exception === null)).toBe(true);
    expect(warned).toEqual([expect.stringMatching(/exceptions answered 403 Forbidden: the exempted findings of \d+ images .*exceptionDetails: false/)]);
  });

  it('exceptionDetails: false asks nothing', async () => {
    const { sim, client } = await startSimulatorClient({ images: 200 });
    const { out } = await enrichAll(listed(withExempted(sim)), { client, exceptionDetails: false });
    expect(exceptionCalls(sim)).toHaveLength(0);
    expect(out.flatMap((i) => i.vulnerabilities ?? []).some((f) => f.isExempted === true)).toBe(true);
  });

  it('another failure of the exceptions call fails the run, as any findings call does', async () => {
    const { sim, client } = await startSimulatorClient({ images: 200 });
    const target = withExempted(sim)[0] as RawImage;
    sim.inject({ kind: 'status', status: 500, count: 50, path: `/csapi/v1.3/images/${target.sha}/exceptions` });
    await expect(enrichAll(listed([target]), { client })).rejects.toThrow(/500/);
    expect(exceptionCalls(sim).length).toBeGreaterThan(1);
  });

  it('an image record whose own `exceptions` lists them needs no call; several active ones are combined, an ended one left out', async () => {
    const sha = 'e'.repeat(64);
    const day = 86_400_000;
    const record = normalizeImage(
      {
        sha,
        vulnerabilities: { severity5Count: 1, severity3Count: 1 },
        exceptions: [
          { name: 'A', reason: 'RISK_ACCEPTED', startDate: String(NOW.getTime() - 10 * day), endDate: String(NOW.getTime() + 40 * day) },
          { name: 'B', reason: 'FALSE_POSITIVE', startDate: String(NOW.getTime() - 5 * day), endDate: String(NOW.getTime() + 20 * day) },
          { name: 'Old', reason: 'RISK_ACCEPTED', startDate: String(NOW.getTime() - 90 * day), endDate: String(NOW.getTime() - 1 * day) },
        ],
      },
      'images',
    );
    const asked: string[] = [];
    const client: QualysGetter = {
      get: async (path) => {
        asked.push(path);
        return {
          status: 200,
          headers: {},
          body: {
            vulnerabilities: [
              { qid: 1, severity: 5, isExempted: true },
              { qid: 2, severity: 3 },
            ],
          } as never,
        };
      },
    };
    const { out } = await enrichAll([record], { client });
    expect(asked).toEqual([`/csapi/v1.3/images/${sha}`]);
    const [exempted, open] = out[0]?.vulnerabilities ?? [];
    expect(exempted?.exception).toEqual({
      name: 'A; B',
      reason: 'RISK_ACCEPTED; FALSE_POSITIVE',
      explanation: null,
      startsAt: new Date(NOW.getTime() - 5 * day).toISOString(),
      endsAt: new Date(NOW.getTime() + 20 * day).toISOString(),
    });
    expect(open?.exception).toBeNull();
  });
});
