import { describe, expect, it } from 'vitest';
import { buildColumns, ConfigError, DEFAULT_COLUMNS, normalizeImage } from '../src/index.js';

const record = normalizeImage(
  {
    sha: 'a'.repeat(64),
    created: '1717026901000',
    repo: [
      { registry: 'docker.io', repository: 'nginx', tag: 'latest' },
      { registry: null, repository: 'nginx', tag: null },
    ],
    repoDigests: [{ registry: 'docker.io', repository: 'nginx', digest: 'abc' }],
    vulnerabilities: { severity5Count: 2, severity1Count: 1 },
    scanTypes: ['SCA', 'DYNAMIC'],
    label: [
      { key: 'team', value: 'payments' },
      { key: 'flag', value: null },
    ],
    isDockerHubOfficial: false,
    sbomSummary: { packages: 12, formats: ['spdx', 'cyclonedx'] },
  },
  'images',
);
const cells = (specs: Parameters<typeof buildColumns>[0], joinWith = '; ') => buildColumns(specs, { joinWith }).map((c) => c.value(record));

describe('column model', () => {
  it('formats repositories, digests and labels for people, joined with the separator', () => {
    expect(cells(['repo', 'repoDigests', 'labels'])).toEqual(['docker.io/nginx:latest; nginx', 'docker.io/nginx@sha256:abc', 'team=payments; flag']);
    expect(cells(['scanTypes'], ' | ')).toEqual(['SCA | DYNAMIC']);
  });

  it('types known columns (dates, counts) and gives nulls as empty cells', () => {
    const cols = buildColumns(['created', 'vulnerabilityCounts.total', 'riskScore', 'extra.sbomSummary.packages'], { joinWith: '; ' });
    expect(cols.map((c) => c.type)).toEqual(['date', 'number', 'number', 'auto']);
    expect(cols.map((c) => c.value(record))).toEqual(['2024-05-29T23:55:01.000Z', 3, null, 12]);
  });

  it('walks paths through arrays and renders nested objects as JSON', () => {
    expect(cells(['repo.registry', 'extra.sbomSummary.formats', 'extra.sbomSummary', 'isDockerHubOfficial'])).toEqual([
      'docker.io',
      'spdx; cyclonedx',
      '{"packages":12,"formats":["spdx","cyclonedx"]}',
      false,
    ]);
  });

  it('uses the compliance set by default, with headers', () => {
    const cols = buildColumns(undefined, { joinWith: '; ' });
    expect(cols.map((c) => c.key)).toEqual(DEFAULT_COLUMNS);
    expect(cols.every((c) => c.header !== c.key || c.key === 'sha')).toBe(true);
  });

  it('refuses a path that does not start with a record field, listing the valid starts', () => {
    expect(() => buildColumns(['sha', 'severity5'], { joinWith: '; ' })).toThrow(ConfigError);
    expect(() => buildColumns(['severity5'], { joinWith: '; ' })).toThrow(/unknown column "severity5".*vulnerabilityCounts/);
  });

  it('checks every segment of a path against the record shape, with a did-you-mean (issue 9, point 2)', () => {
    const problem = (columns: string[]) => {
      try {
        buildColumns(columns, { joinWith: '; ' });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problem(['vulnerabilityCounts.sev5'])).toMatch(/"vulnerabilityCounts\.sev5": vulnerabilityCounts has no field "sev5"; it has severity1Count/);
    expect(problem(['lastFoundOnHost.ip'])).toMatch(/lastFoundOnHost has no field "ip"; it has .*ipAddress/);
    expect(problem(['compliance.failcount'])).toMatch(/compliance has no field "failcount"; did you mean "failCount"\?/);
    expect(problem(['riskScore.value'])).toMatch(/riskScore is a single value, with no fields inside/);
    expect(problem(['repo.tag.name'])).toMatch(/repo\.tag is a single value/);
    // all three at once, one message
    expect(problem(['vulnerabilityCounts.sev5', 'lastFoundOnHost.ip', 'compliance.failcount'])).toMatch(/^unknown columns .*sev5.*; .*ip.*; .*failcount/);
    // real paths, through arrays, and open shapes
    expect(
      problem(['repo.tag', 'vulnerabilities.software.name', 'layers.extra.anything', 'extra.sbomSummary.packages', 'labels.value', 'baseImage.name']),
    ).toBeUndefined();
  });
});
