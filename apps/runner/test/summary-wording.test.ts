import { describe, expect, it } from 'vitest';
import type { RunResult } from '../src/run/result.js';
import { formatSummary } from '../src/summary.js';

// Issue 22 (defects): the summary reads as a sentence whatever the counts: "1 image", no "(0/s)", and no clause that
// says nothing ("0 images with none needed no call").
const base: RunResult = {
  records: 1,
  pages: 1,
  requests: 3,
  retries: 0,
  rateLimitWaits: 0,
  duplicatesDropped: 0,
  rereadToVerify: 0,
  durationMs: 500,
  source: 'https://gateway.qg1.apps.qualys.com',
  strategy: 'pages',
  strategyReason: '1 images match',
  selfTest: undefined,
  expectedAtStart: 1,
  countAtEnd: 1,
  changedDuringRun: 0,
  repairPasses: 0,
  severityCounts: 'present',
  imagesRead: true,
  sinks: [],
  rejected: 0,
};
const enrichment = {
  calls: 1,
  skippedClean: 0,
  missing: 0,
  missingShas: [],
  rechecks: 0,
  findings: 1,
  exempted: 0,
  exceptionCalls: 0,
  exceptionsForbidden: 0,
  exceptionsUnknown: 0,
  notScanned: 0,
  countMismatches: 0,
  mismatchExamples: [],
};

describe('the run summary', () => {
  it('says one image and one finding in the singular, and leaves out a zero clause', () => {
    const text = formatSummary({ ...base, enrichment });
    expect(text).toMatch(/^exported 1 image from https:\/\/gateway\.qg1\.apps\.qualys\.com in 0\.5 s \(2\/s\)/);
    expect(text).toContain('vulnerabilities: 1 finding from 1 call');
    expect(text).not.toMatch(/0 images|listed clean/);
  });

  it('gives no rate for a run that exported nothing, and counts images listed clean when there are some', () => {
    const text = formatSummary({ ...base, records: 0, countAtEnd: 0, expectedAtStart: 0, enrichment: { ...enrichment, skippedClean: 2 } });
    expect(text).toMatch(/^exported 0 images from \S+ in 0\.5 s · Qualys counts 0/);
    expect(text).not.toContain('(0/s)');
    expect(text).toContain('2 images listed clean needed no call');
  });

  it('a run that read only containers leads with them, not with 0 images', () => {
    const text = formatSummary({
      ...base,
      records: 0,
      imagesRead: false,
      containers: {
        filter: 'state:RUNNING',
        records: 1,
        pages: 1,
        strategy: 'pages',
        strategyReason: '1 containers match',
        expectedAtStart: 1,
        countAtEnd: 1,
        changedDuringRun: 0,
        duplicatesDropped: 0,
        rereadToVerify: 0,
      },
    });
    expect(text).toMatch(/^exported 1 container \(filter state:RUNNING\) from /);
    expect(text).not.toMatch(/images/);
  });

  it('a page-number read that goes over its pages again to verify them says so, and drops no duplicates (issue 22)', () => {
    const text = formatSummary({ ...base, records: 300, rereadToVerify: 300 });
    expect(text).toContain('300 read again to verify the pages');
    expect(text).not.toContain('duplicates dropped');
  });
});
