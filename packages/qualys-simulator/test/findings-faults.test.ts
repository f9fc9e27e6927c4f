import { describe, expect, it } from 'vitest';
import { imageFindings } from '../src/index.js';
import { get, useSimulator } from './support.js';

const start = useSimulator();
const IMAGES = '/csapi/v1.3/images';
type Vuln = { details: Array<Record<string, unknown>> };

describe('findings data and faults (issue 17)', () => {
  it('/vuln leaves excepted findings out by default, as Qualys documents, and sends them marked with applyException=false', async () => {
    const s = await start();
    const withExceptions = s.images().filter((i) => imageFindings(i).some((f) => f['isExempted'] === true));
    // The data set has excepted findings on a fair share of images, so an export meets them.
    expect(withExceptions.length).toBeGreaterThan(20);
    const image = withExceptions[0] ?? expect.unreachable();
    const all = imageFindings(image);
    const excepted = all.filter((f) => f['isExempted'] === true).map((f) => f['qid']);

    const byDefault = (await get(s, `${IMAGES}/${image.sha}/vuln`, { type: 'DETAILS' })).body as unknown as Vuln;
    expect(byDefault.details).toHaveLength(all.length - excepted.length);
    expect(byDefault.details.some((f) => excepted.includes(f['qid']))).toBe(false);
    const explicitTrue = (await get(s, `${IMAGES}/${image.sha}/vuln`, { type: 'DETAILS', applyException: 'true' })).body as unknown as Vuln;
    expect(explicitTrue.details).toHaveLength(all.length - excepted.length);

    const raw = (await get(s, `${IMAGES}/${image.sha}/vuln`, { type: 'DETAILS', applyException: 'false' })).body as unknown as Vuln;
    expect(raw.details).toHaveLength(all.length);
    expect(raw.details.filter((f) => f['isExempted'] === true).map((f) => f['qid'])).toEqual(excepted);
  });

  it('has never-scanned images: null counts in the list, no findings in their details', async () => {
    const s = await start();
    const never = s.images().filter((i) => i.vulnerabilities === null);
    expect(never.length).toBeGreaterThan(3);
    const image = never[0] ?? expect.unreachable();
    expect(image.lastVmScanDate).toBeNull();
    const details = (await get(s, `${IMAGES}/${image.sha}`)).body as unknown as { vulnerabilities: unknown[] };
    expect(details.vulnerabilities).toEqual([]);
  });

  it('a 404 fault on one image answers its details 404 while the list still holds it', async () => {
    const s = await start();
    const sha = s.images()[5]?.sha ?? expect.unreachable();
    s.inject({ kind: 'status', status: 404, path: `${IMAGES}/${sha}` });
    expect((await get(s, `${IMAGES}/${sha}`)).status).toBe(404);
    expect((await get(s, IMAGES, { filter: `sha:${sha}` })).body?.count).toBe(1);
    expect((await get(s, `${IMAGES}/${sha}`)).status).toBe(200);
  });

  it('removeImage deletes the image named in the path just before answering: a 404, and the list no longer holds it', async () => {
    const s = await start();
    const sha = s.images()[7]?.sha ?? expect.unreachable();
    const other = s.images()[8]?.sha ?? expect.unreachable();
    s.inject({ kind: 'removeImage', path: `${IMAGES}/${sha}` });
    expect((await get(s, `${IMAGES}/${other}`)).status).toBe(200);
    expect((await get(s, `${IMAGES}/${sha}/vuln`)).status).toBe(404);
    expect((await get(s, IMAGES, { filter: `sha:${sha}` })).status).toBe(204);
    expect(s.stats.removes).toBe(1);
    expect(s.images()).toHaveLength(499);
  });

  it('listCountsExcludeExceptions: the list counts leave the excepted findings out, /vuln with applyException=false has them all', async () => {
    const s = await start({ listCountsExcludeExceptions: true });
    const image = s.images().find((i) => imageFindings(i).some((f) => f['isExempted'] === true)) ?? expect.unreachable();
    const all = imageFindings(image);
    const listed = (await get(s, IMAGES, { filter: `sha:${image.sha}` })).body?.data[0]?.['vulnerabilities'] as Record<string, number>;
    const total = Object.values(listed).reduce((a, b) => a + (b ?? 0), 0);
    expect(total).toBe(all.filter((f) => f['isExempted'] !== true).length);
    const raw = (await get(s, `${IMAGES}/${image.sha}/vuln`, { applyException: 'false' })).body as unknown as Vuln;
    expect(raw.details).toHaveLength(all.length);
    const never = s.images().find((i) => i.vulnerabilities === null) ?? expect.unreachable();
    expect((await get(s, IMAGES, { filter: `sha:${never.sha}` })).body?.data[0]?.['vulnerabilities']).toBeNull();
  });
});
