import type { QcsErrorCode } from '@qcs-export/core';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { coerceInterpolated, sourceNames } from './coerce.js';
import type { InterpolatedValue } from './interpolate.js';
import { DEFAULT_MESSAGE, markDefaults, plainMessage } from './messages.js';
import { isSecretPath, isUnder, samePath, type KeyPath } from './paths.js';
import { keyOffset } from './position.js';
import { expectedTypeAt, formsOf, keysAt } from './schema-walk.js';
import { didYouMean } from './suggest.js';

export interface Problem {
  path: KeyPath;
  message: string;
  /** Where to point; by default the node at `path`, or its deepest existing parent. */
  offset?: number | undefined;
  /** The error code of a check the schema ran (a schema's issue sets `params.qcsCode`): a config whose only problems share one is that error. */
  code?: QcsErrorCode | undefined;
}

export interface SectionContext {
  doc: Document;
  values: readonly InterpolatedValue[];
  /** Paths whose value a missing variable or unreadable secret file emptied: already reported, once. */
  reported: readonly KeyPath[];
}

/**
 * Validates one section (the source, one sink, run) at `base`: converts interpolated values to the types the
 * schema wants, then reports each remaining issue once, in plain words, at the key it is about.
 */
export function validateSection<S extends z.ZodType>(
  schema: S,
  value: unknown,
  base: KeyPath,
  ctx: SectionContext,
  problems: Problem[],
): z.output<S> | undefined {
  const covered = (path: KeyPath, done: readonly KeyPath[]) => done.some((r) => isUnder(path, r));
  const conversions = coerceInterpolated(schema, value, base, ctx.values, (p) => covered(p, ctx.reported));
  problems.push(...conversions);
  const done = [...ctx.reported, ...conversions.map((c) => c.path)];

  // reportInput keeps each issue's value, for "got …"; the marker tells zod's wording from the schemas' own.
  const result = schema.safeParse(value, { error: markDefaults, reportInput: true });
  if (result.success) return result.data;

  // A secret file's content or a credential's variable may sit under any key, so a value read from one is never shown either.
  const sensitive = (path: KeyPath) => ctx.values.some((v) => samePath(v.path, path) && v.sensitive);
  for (const issue of result.error.issues.flatMap((i) => flattenUnion(i))) {
    const path = [...base, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (covered(path, done)) continue;
    const rel = path.slice(base.length);
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, rel);
      for (const key of issue.keys)
        problems.push({ path, message: `Unrecognized key: "${key}"${didYouMean(key, known)}`, offset: keyOffset(ctx.doc, path, key) });
      continue;
    }
    const secret = isSecretPath(path) || sensitive(path);
    const message =
      issue.message === DEFAULT_MESSAGE
        ? plainMessage(issue, { path, secret, integer: expectedTypeAt(schema, rel) === 'integer', forms: formsOf(schema, rel) })
        : issue.message;
    const code = issue.code === 'custom' ? (issue.params?.['qcsCode'] as QcsErrorCode | undefined) : undefined;
    problems.push({ path, message: message + provenance(path, ctx.values), ...(code ? { code } : {}) });
  }
  return undefined;
}

/**
 * Zod reports a union the value fits none of as one "invalid_union" at the union. When exactly one branch fits the
 * keys the user wrote (no unknown keys, the right kind of value), its own issues say more, at the right keys.
 */
function flattenUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const fitting = issue.errors.filter((branch) => branch.every((i) => i.code !== 'unrecognized_keys' && !(i.code === 'invalid_type' && i.path.length === 0)));
  const [branch] = fitting;
  if (fitting.length !== 1 || !branch) return [issue];
  return branch.flatMap((i) => flattenUnion({ ...i, path: [...issue.path, ...i.path] }));
}

/** " (the value comes from PS)" for a problem with an interpolated value, since the config shows only ${PS}. */
function provenance(path: KeyPath, values: readonly InterpolatedValue[]): string {
  const v = values.find((x) => samePath(x.path, path));
  return v ? ` (the value comes from ${sourceNames(v.sources)})` : '';
}
