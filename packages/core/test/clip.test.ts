import { describe, expect, it } from 'vitest';
import { clip } from '../src/source/clip.js';

// Issue 22 (defects): doctor's report lines cut a long server message at a word's end, marked, not mid-word ("(QQL sy").
describe('clip', () => {
  it('leaves a short text whole, and cuts a long one after a whole word with an ellipsis', () => {
    expect(clip('short', 200)).toBe('short');
    const text = `Qualys rejected the request (400: The maximum number of image records). Check source.filter (QQL syntax, field names) ${'x'.repeat(50)}`;
    const cut = clip(text, 110);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(111);
    expect(text.startsWith(cut.slice(0, -1))).toBe(true);
    expect(text[cut.length - 1]).toBe(' ');
  });

  it('a text without a space near the end is cut at the limit', () => {
    expect(clip('y'.repeat(300), 100)).toBe(`${'y'.repeat(100)}…`);
  });
});
