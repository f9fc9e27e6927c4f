import { describe, expect, it } from 'vitest';
import { normalizeSoftware, ProtocolError, toIsoDate } from '../src/index.js';

/** One item of `data` as Qualys' doc for GET /csapi/v1.3/images/{imageSha}/software shows it (braces fixed). */
const documented = {
  name: 'openssl',
  version: '1.1.1k-r0',
  scanType: 'STATIC',
  packagePath: '/lib/apk/db/installed',
  fixVersion: '1.1.1l-r0',
  lifecycle: { stage: 'EOL/EOS', lifeCycleConfidence: 'EXACT', eol: '1694995200000', eos: '1694995200000', ga: '1536624000000' },
  vulnerabilities: { severity1Count: 0, severity2Count: 1, severity3Count: 4, severity4Count: 2, severity5Count: 1 },
};

describe('normalizeSoftware', () => {
  it('reads the documented shape: the lifecycle flattened, its epoch-ms strings as ISO dates, the counts with their total', () => {
    expect(normalizeSoftware(documented)).toEqual({
      name: 'openssl',
      version: '1.1.1k-r0',
      fixVersion: '1.1.1l-r0',
      packagePath: '/lib/apk/db/installed',
      scanType: 'STATIC',
      lifecycleStage: 'EOL/EOS',
      lifecycleConfidence: 'EXACT',
      endOfLife: '2023-09-18T00:00:00.000Z',
      endOfSupport: '2023-09-18T00:00:00.000Z',
      generalAvailability: '2018-09-11T00:00:00.000Z',
      vulnerabilityCounts: { severity1Count: 0, severity2Count: 1, severity3Count: 4, severity4Count: 2, severity5Count: 1, total: 8 },
      extra: {},
    });
  });

  it('keeps its keys in the order of SoftwarePackage, whatever order the answer has', () => {
    const reversed = Object.fromEntries(Object.entries(documented).reverse());
    expect(Object.keys(normalizeSoftware(reversed))).toEqual(Object.keys(normalizeSoftware(documented)));
  });

  it('reads Qualys\' placeholder date "-631152000000" (1950-01-01, "unknown") as null, not 1950, and keeps nothing of it in extra', () => {
    expect(toIsoDate('-631152000000')).toBeNull();
    expect(toIsoDate(-631152000000)).toBeNull();
    const pkg = normalizeSoftware({
      ...documented,
      lifecycle: { stage: 'GA', lifeCycleConfidence: 'EXACT', eol: '-631152000000', eos: '-631152000000', ga: '-631152000000' },
    });
    expect(pkg).toMatchObject({ lifecycleStage: 'GA', endOfLife: null, endOfSupport: null, generalAvailability: null, extra: {} });
  });

  it('all-null per-package counts are unknown (null), not zero; a null or missing counts object too; a null count beside others is 0', () => {
    const allNull = { severity1Count: null, severity2Count: null, severity3Count: null, severity4Count: null, severity5Count: null };
    expect(normalizeSoftware({ ...documented, vulnerabilities: allNull }).vulnerabilityCounts).toBeNull();
    expect(normalizeSoftware({ ...documented, vulnerabilities: {} }).vulnerabilityCounts).toBeNull();
    expect(normalizeSoftware({ ...documented, vulnerabilities: null }).vulnerabilityCounts).toBeNull();
    const { vulnerabilities: _, ...withoutCounts } = documented;
    expect(normalizeSoftware(withoutCounts).vulnerabilityCounts).toBeNull();
    expect(normalizeSoftware({ ...documented, vulnerabilities: { ...allNull, severity4Count: '3' } }).vulnerabilityCounts).toEqual({
      severity1Count: 0,
      severity2Count: 0,
      severity3Count: 0,
      severity4Count: 3,
      severity5Count: 0,
      total: 3,
    });
  });

  it('a null or absent lifecycle leaves the lifecycle fields null; so does a lifecycle of nulls', () => {
    const lifecycleNull = { lifecycleStage: null, lifecycleConfidence: null, endOfLife: null, endOfSupport: null, generalAvailability: null };
    expect(normalizeSoftware({ ...documented, lifecycle: null })).toMatchObject({ ...lifecycleNull, name: 'openssl', extra: {} });
    const { lifecycle: _, ...withoutLifecycle } = documented;
    expect(normalizeSoftware(withoutLifecycle)).toMatchObject({ ...lifecycleNull, extra: {} });
    expect(normalizeSoftware({ ...documented, lifecycle: { stage: null, lifeCycleConfidence: null, eol: null, eos: null, ga: null } })).toMatchObject({
      ...lifecycleNull,
      extra: {},
    });
  });

  it('a package without a name is kept, with a null name: it is inventory all the same', () => {
    const { name: _, ...nameless } = documented;
    expect(normalizeSoftware(nameless)).toMatchObject({ name: null, version: '1.1.1k-r0', extra: {} });
    expect(normalizeSoftware({ vulnerabilities: null })).toMatchObject({ name: null, version: null, vulnerabilityCounts: null, extra: {} });
  });

  it('keeps unknown fields in extra, unknown lifecycle fields under extra.lifecycle, and values it cannot convert raw', () => {
    const pkg = normalizeSoftware({
      ...documented,
      vendor: 'OpenSSL Project',
      version: { major: 1 },
      lifecycle: { ...documented.lifecycle, eol: 'someday', support: 'community' },
      vulnerabilities: [1, 2],
    });
    expect(pkg.version).toBeNull();
    expect(pkg.endOfLife).toBeNull();
    expect(pkg.vulnerabilityCounts).toBeNull();
    expect(pkg.extra).toEqual({
      vendor: 'OpenSSL Project',
      version: { major: 1 },
      vulnerabilities: [1, 2],
      lifecycle: { support: 'community', eol: 'someday' },
    });
    // A lifecycle that is no object is kept whole.
    expect(normalizeSoftware({ ...documented, lifecycle: 'GA' })).toMatchObject({ lifecycleStage: null, extra: { lifecycle: 'GA' } });
  });

  it('numbers where Qualys sends strings are read: epoch-ms numbers as dates, a numeric confidence as text', () => {
    const pkg = normalizeSoftware({ ...documented, lifecycle: { stage: 'GA', lifeCycleConfidence: 80, eol: 1694995200000, ga: 1536624000000 } });
    expect(pkg).toMatchObject({
      lifecycleConfidence: '80',
      endOfLife: '2023-09-18T00:00:00.000Z',
      endOfSupport: null,
      generalAvailability: '2018-09-11T00:00:00.000Z',
    });
  });

  it('fails with a ProtocolError for an item that is not an object', () => {
    expect(() => normalizeSoftware(null)).toThrow(ProtocolError);
    expect(() => normalizeSoftware(['openssl'])).toThrow(/is an array, not an object/);
  });
});
