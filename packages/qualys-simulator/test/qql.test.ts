import { describe, expect, it } from 'vitest';
import { combineFilters, generateImages, parseQql, QqlError } from '../src/index.js';

describe('QQL subset', () => {
  const images = generateImages(400, 2);
  const count = (q: string) => images.filter(parseQql(q, Date.UTC(2026, 10, 1)).test).length;

  it('evaluates comparisons, ranges, lists, negation, and/or and parentheses', () => {
    const some = images[5] as (typeof images)[number];
    expect(count(`sha:${some.sha}`)).toBe(1);
    expect(count(`not uuid: [${some.uuid}, ${images[6]?.uuid}]`)).toBe(398);
    expect(count('riskScore>=50 and riskScore<60')).toBe(images.filter((i) => i.riskScore !== null && i.riskScore >= 50 && i.riskScore < 60).length);
    expect(count('created:[0 ... 0]')).toBe(4);
    expect(count('(qdsSeverity:HIGH or qdsSeverity:`CRITICAL`) and vulnerabilities.severity:5')).toBe(
      images.filter((i) => (i.qdsSeverity === 'HIGH' || i.qdsSeverity === 'CRITICAL') && (i.vulnerabilities?.['severity5Count'] ?? 0) > 0).length,
    );
    expect(count("imagesInUse:'[now-7d ... now]'")).toBe(
      images.filter(
        (i) => i.lastUsedDate !== null && Number(i.lastUsedDate) >= Date.UTC(2026, 10, 1) - 7 * 86_400_000 && Number(i.lastUsedDate) <= Date.UTC(2026, 10, 1),
      ).length,
    );
    expect(count('updated>=1593731505425 AND not uuid: [x]')).toBe(400);
  });

  it('rejects unknown fields and broken syntax with an "Invalid filter" message', () => {
    expect(() => parseQql('nosuch:1')).toThrow(QqlError);
    expect(() => parseQql('created:[1 ... ')).toThrow(/Invalid filter/);
    expect(() => parseQql('created>abc')).toThrow(/not a valid value/);
  });
});

describe('QQL parse output', () => {
  it('names the constructs a filter uses, quoted values included', () => {
    expect([...parseQql('updated>=1 and not uuid: [a]').constructs].sort()).toEqual(['compare', 'not']);
    expect([...parseQql("imagesInUse:'[now-7d ... now]'").constructs]).toEqual(['bracket-range']);
    expect([...parseQql('created:(1 .. 2) or sha:abc').constructs]).toEqual(['bracket-range']);
    expect(parseQql('sha:abc').constructs.size).toBe(0);
  });

  it('lists the uuids a top-level `not uuid` excludes (the bulk cursor), and the bounds it sets', () => {
    const cursor = parseQql('updated>=1700000000000 AND not uuid: [u-1, u-2]');
    expect(cursor.excludedUuids).toEqual(['u-1', 'u-2']);
    expect(cursor.bounds.get('updated')).toEqual({ min: 1700000000000, minInclusive: true });
    expect(parseQql('sha:x or not uuid: [u-1]').excludedUuids).toEqual([]);
  });

  it('combines two filters as an AND, keeping the tighter bound', () => {
    const both = combineFilters(parseQql('updated>=10'), parseQql('updated>20 and updated<=30'));
    expect(both?.bounds.get('updated')).toEqual({ min: 20, minInclusive: false, max: 30, maxInclusive: true });
    const at = (updated: number) => both?.test({ updated: String(updated) } as never);
    expect([at(20), at(21), at(30), at(31)]).toEqual([false, true, true, false]);
    expect(combineFilters(undefined, undefined)).toBeUndefined();
  });

  it('reads dialect options: epoch seconds in ranges only, ignored uuid exclusions, exclusive combined ranges', () => {
    const image = (updated: number, created = 5000) => ({ updated: String(updated), created: String(created), uuid: 'u-1' }) as never;
    const seconds = parseQql('updated>=1700000000 and created:[1 ... 9]', 0, { epochSeconds: true });
    expect(seconds.test(image(1_700_000_000_000))).toBe(true);
    expect(seconds.test(image(1_700_000_000))).toBe(false);
    expect(parseQql('updated:1700000000', 0, { epochSeconds: true }).test(image(1_700_000_000))).toBe(true); // equality is not a range
    expect(parseQql('not uuid: [u-1]', 0, { ignoreNotUuid: true }).test(image(1))).toBe(true);
    expect(parseQql('not uuid: [u-1]').test(image(1))).toBe(false);
    const combined = parseQql('updated>=10 and updated<=20', 0, { exclusiveCombinedRanges: true });
    expect([10, 11, 20].map((u) => combined.test(image(u)))).toEqual([false, true, false]);
    expect(parseQql('updated>=10', 0, { exclusiveCombinedRanges: true }).test(image(10))).toBe(true);
    expect(parseQql('updated>=10 and riskScore>=1', 0, { exclusiveCombinedRanges: true }).test({ ...(image(10) as object), riskScore: 1 } as never)).toBe(true);
  });
});
