import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA, QUALYS_SEVERITY_WORDS, SEVERITY_LABELS, SLA_STATUS_MEANINGS } from '@qcs-export/core';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

// Issue 20, point 1: the README states the one vocabulary, and states the code's.
describe("the README's severity and SLA words are the code's", () => {
  it('one row per severity: the number, the word every sink writes, Qualys own word and the default SLA', () => {
    const rows = [...README.matchAll(/^\| ([1-5]) \| ([A-Z]+) \| ([A-Za-z]+) \| (\d+) \|$/gm)].map((m) => m.slice(1, 5));
    expect(rows).toEqual(([5, 4, 3, 2, 1] as const).map((n) => [String(n), SEVERITY_LABELS[n], QUALYS_SEVERITY_WORDS[n], String(DEFAULT_SLA[n])]));
  });

  it('one row per SLA status, with the meaning the code gives it', () => {
    const rows = Object.fromEntries([...README.matchAll(/^\| `(breached|within|exempted|n\/a)` \| (.+) \|$/gm)].map((m) => [m[1], m[2]]));
    expect(rows).toEqual(SLA_STATUS_MEANINGS);
  });
});
