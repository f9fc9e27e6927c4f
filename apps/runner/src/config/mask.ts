import { visit, type Document } from 'yaml';

// In a flow mapping or list (`{ images: ${N} }`), YAML reads the `{` of `${` as a nested mapping, and a default
// may hold `, : # [ ]`, which end a plain scalar there. Before parsing, these characters inside each ${…} of the
// config's own text are swapped for private-use characters of the same length, so every line:col stays right;
// after parsing they are swapped back in every scalar. Values from the environment are still substituted only
// after parsing, so they still cannot add structure.
const SWAPS: ReadonlyArray<readonly [string, string]> = [
  ['{', '\uE000'],
  ['}', '\uE001'],
  ['[', '\uE002'],
  [']', '\uE003'],
  [',', '\uE004'],
  [':', '\uE005'],
  ['#', '\uE006'],
];
const TO_MASK = new Map(SWAPS);
const FROM_MASK = new Map(SWAPS.map(([plain, masked]) => [masked, plain]));
const MASKED = /[\uE000-\uE006]/g;
/** A ${…} or $${…} on one line, as interpolation reads it (the first } ends it). */
const TEMPLATE = /\$\$?\{[^}\n]*\}/g;

/**
 * The config text with the YAML-significant characters inside each ${…} masked; `masked` is false when the file
 * already holds the private-use characters: it is then parsed as written, and must not be unmasked.
 */
export function maskTemplates(text: string): { text: string; masked: boolean } {
  if (/[\uE000-\uE006]/.test(text)) return { text, masked: false };
  return { text: text.replace(TEMPLATE, (template) => [...template].map((c) => TO_MASK.get(c) ?? c).join('')), masked: true };
}

export function unmask(text: string): string {
  return text.replace(MASKED, (c) => FROM_MASK.get(c) ?? c);
}

/** Restores the masked characters in every key and value of the parsed document. */
export function unmaskDocument(doc: Document): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string') node.value = unmask(node.value);
    },
  });
}
