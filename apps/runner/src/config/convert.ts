import type { Expected } from './schema-walk.js';

// The number forms YAML 1.2 reads in a plain value, so `${N}` with N=0o640 means what `0o640` written in the
// config means (a leading-zero 0640 is decimal 640 in both, which the fileMode message explains).
const DECIMAL = /^[-+]?[0-9]+$/;
const OCTAL = /^0o[0-7]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** `text` as the expected type, or undefined when it is not one. Surrounding blanks (a stray newline) are ignored. */
export function convert(text: string, expected: Expected): number | boolean | undefined {
  const t = text.trim();
  if (expected === 'boolean') return /^true$/i.test(t) ? true : /^false$/i.test(t) ? false : undefined;
  const n = DECIMAL.test(t) || FLOAT.test(t) ? Number(t) : OCTAL.test(t) ? parseInt(t.slice(2), 8) : HEX.test(t) ? parseInt(t.slice(2), 16) : undefined;
  if (n === undefined || !Number.isFinite(n)) return undefined;
  return expected === 'integer' && !Number.isInteger(n) ? undefined : n;
}

export function expectedName(expected: Expected): string {
  return expected === 'integer' ? 'a whole number' : expected === 'number' ? 'a number' : 'true or false';
}
