import { describe, expect, it } from 'vitest';
import { ShaSet } from '../src/index.js';

const sha = (i: number) => i.toString(16).padStart(64, '0');

describe('ShaSet: the run ledger of delivered shas', () => {
  it('tells apart shas that differ only in their last digit, and finds each again after growing', () => {
    const set = new ShaSet();
    for (let i = 0; i < 100_000; i++) expect(set.add(sha(i))).toBe(true);
    expect(set.size).toBe(100_000);
    for (let i = 0; i < 100_000; i += 997) expect(set.has(sha(i))).toBe(true);
    expect(set.has(sha(100_000))).toBe(false);
    expect(set.add(sha(42))).toBe(false);
    expect(set.size).toBe(100_000);
  });

  it('tells apart shas that differ only in their first digit, and treats upper and lower case hex as one sha', () => {
    const set = new ShaSet();
    expect(set.add(`a${'0'.repeat(63)}`)).toBe(true);
    expect(set.add(`b${'0'.repeat(63)}`)).toBe(true);
    expect(set.add(`A${'0'.repeat(63)}`)).toBe(false);
  });

  it('keeps keys that are not 64 hex digits apart from the hex table and from each other', () => {
    const set = new ShaSet();
    expect(set.add('sha256:abc')).toBe(true);
    expect(set.add('not-a-sha')).toBe(true);
    expect(set.add('sha256:abc')).toBe(false);
    expect(set.has('not-a-sha')).toBe(true);
    expect(set.has(sha(0))).toBe(false);
    expect(set.size).toBe(2);
  });
});
