import type { z } from 'zod';
import { convert, expectedName } from './convert.js';
import type { InterpolatedValue, ValueSource } from './interpolate.js';
import { isUnder, type KeyPath } from './paths.js';
import { expectedTypeAt, type Expected } from './schema-walk.js';

export interface CoercionProblem {
  path: KeyPath;
  offset: number | undefined;
  message: string;
}

/**
 * Interpolation runs after YAML parsing, so `pageSize: ${PS}` is always text. For each interpolated value under
 * `base` where `schema` wants a number or a boolean, replaces the text in `value` (the section being validated) by
 * that type, or reports why it cannot be. Values written literally are left alone: a quoted "100" stays text,
 * as the user wrote it. `skip` says which paths are already reported (a missing variable).
 */
export function coerceInterpolated(
  schema: z.core.$ZodType,
  value: unknown,
  base: KeyPath,
  values: readonly InterpolatedValue[],
  skip: (path: KeyPath) => boolean,
): CoercionProblem[] {
  const problems: CoercionProblem[] = [];
  for (const v of values) {
    if (v.path.length <= base.length || !isUnder(v.path, base) || skip(v.path)) continue;
    const rel = v.path.slice(base.length);
    const expected = expectedTypeAt(schema, rel);
    const holder = containerAt(value, rel.slice(0, -1));
    const key = rel[rel.length - 1] as string | number;
    if (!expected || !holder || typeof holder[key] !== 'string') continue;
    const converted = convert(holder[key] as string, expected);
    if (converted === undefined) problems.push({ path: v.path, offset: v.offset, message: notConvertible(v, expected) });
    else holder[key] = converted;
  }
  return problems;
}

function containerAt(value: unknown, path: KeyPath): Record<string | number, unknown> | undefined {
  let node = value;
  for (const p of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[p];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>) : undefined;
}

/** Names the variable and, unless the value may be a credential (see InterpolatedValue.sensitive), shows it: "PS is "abc", not a whole number". */
function notConvertible(v: InterpolatedValue, expected: Expected): string {
  const type = expectedName(expected);
  const secret = v.sensitive;
  const [only] = v.sources;
  if (only && v.sources.length === 1 && /^\$\{[^}]*\}$/.test(v.template)) {
    if (only.kind === 'file') return `the secret file ${only.path} does not hold ${type}`;
    if (only.used === 'default')
      return secret
        ? `${only.name} is not set and its default is not ${type}`
        : `${only.name} is not set and its default ${JSON.stringify(v.value)} is not ${type}`;
    return secret ? `${only.name} is not ${type}` : `${only.name} is ${JSON.stringify(v.value)}, not ${type}`;
  }
  return secret
    ? `the value built from ${sourceNames(v.sources)} is not ${type}`
    : `${JSON.stringify(v.template)} gives ${JSON.stringify(v.value)}, not ${type}`;
}

/** "PS", "the default of PS", "the secret file /run/x", joined with "and". */
export function sourceNames(sources: readonly ValueSource[]): string {
  const names = sources.map((s) => (s.kind === 'file' ? `the secret file ${s.path}` : s.used === 'default' ? `the default of ${s.name}` : s.name));
  return [...new Set(names)].join(' and ');
}
