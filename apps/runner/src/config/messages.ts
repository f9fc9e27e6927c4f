import type { z } from 'zod';
import { convert } from './convert.js';
import type { KeyPath } from './paths.js';

/**
 * Zod asks a per-parse error map only for issues the schema gave no message of its own. This one marks them, so
 * the hand-written messages in the schemas are kept and the rest get a plain sentence from `plainMessage`, built
 * once the full key path is known (inside a union zod gives the error map a path relative to the branch, too
 * short to tell whether the value sits under `auth`).
 */
export const DEFAULT_MESSAGE = '\u0000zod-default';
export const markDefaults = (): string => DEFAULT_MESSAGE;

export interface IssueContext {
  /** The issue's full key path, e.g. ["sinks", 0, "fileMode"]. */
  path: KeyPath;
  /** The value may be a credential: name its kind, never show it. */
  secret: boolean;
  /** The schema wants a whole number here (zod says "number" for z.number().int()). */
  integer: boolean;
  /** For a union of mappings, its accepted forms, e.g. ["{ apiKey }", "{ bearer }"]. */
  forms: string[] | undefined;
}

/** A plain sentence for an issue zod worded ("Invalid input: expected string, received undefined"). */
export function plainMessage(issue: z.core.$ZodIssue, ctx: IssueContext): string {
  const got = describe(issue.input, ctx.secret);
  const key = [...ctx.path].reverse().find((p): p is string => typeof p === 'string');
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `${key ?? 'this value'} is required`;
      return `expected ${typeName(issue.expected, ctx.integer)}, got ${got}${quotedHint(issue.expected, issue.input)}`;
    case 'too_big':
      if (key === 'fileMode' && typeof issue.input === 'number') return fileModeMessage(issue.input);
      return `must ${limit(issue.origin, 'at most', 'less than', issue.maximum, issue.inclusive)}${numberGot(issue.origin, got)}`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return `${key ?? 'the value'} is empty`;
      return `must ${limit(issue.origin, 'at least', 'more than', issue.minimum, issue.inclusive)}${numberGot(issue.origin, got)}`;
    case 'invalid_value': {
      // An option list reads best with the wrong word quoted alone: `must be one of auto, pages; got "fast"`.
      const wrong = typeof issue.input === 'string' && !ctx.secret ? show(issue.input) : got;
      const expected =
        issue.values.length === 1 ? show(issue.values[0]) : `one of ${issue.values.map((v) => (typeof v === 'string' ? v : show(v))).join(', ')}`;
      return `must be ${expected}; got ${wrong}`;
    }
    case 'invalid_union':
      return unionMessage(issue.errors, ctx.forms, got);
    case 'unrecognized_keys':
      return `Unrecognized key${issue.keys.length === 1 ? '' : 's'}: ${issue.keys.map(show).join(', ')}`;
    case 'invalid_format':
      return `must be a valid ${issue.format}; got ${got}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_key':
      return 'has a key that is not allowed here';
    case 'invalid_element':
      return 'has an entry that is not allowed here';
    default:
      return 'is not valid here';
  }
}

/** A quoted "100" or "true" is text in YAML; the fix is to drop the quotes (${VAR} values are converted). */
function quotedHint(expected: string, input: unknown): string {
  if (typeof input !== 'string') return '';
  const looksRight =
    expected === 'boolean' ? /^(true|false)$/i.test(input.trim()) : ['number', 'int'].includes(expected) && convert(input, 'number') !== undefined;
  return looksRight ? '; write it without quotes' : '';
}

function typeName(expected: string, integer: boolean): string {
  if (expected === 'int' || (expected === 'number' && integer)) return 'a whole number';
  const names: Record<string, string> = {
    string: 'text',
    number: 'a number',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping',
    tuple: 'a list',
    record: 'a mapping',
  };
  return names[expected] ?? `a ${expected}`;
}

/** What the config holds, e.g. `the text "abc"`, `1.5`, `a list`; only the kind for a secret. */
function describe(input: unknown, secret: boolean): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return secret ? 'text' : `the text ${show(input.length > 80 ? `${input.slice(0, 77)}...` : input)}`;
  if (typeof input === 'number') return secret ? 'a number' : String(input);
  if (typeof input === 'boolean') return secret ? 'true or false' : String(input);
  return `a ${typeof input}`;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function limit(origin: string, inclusiveWord: string, exclusiveWord: string, bound: number | bigint, inclusive: boolean | undefined): string {
  const word = inclusive === false ? exclusiveWord : inclusiveWord;
  if (origin === 'string') return `be ${word} ${bound} characters long`;
  if (origin === 'array' || origin === 'set') return `have ${word} ${bound} ${Number(bound) === 1 ? 'entry' : 'entries'}`;
  return `be ${word} ${bound}`;
}

function numberGot(origin: string, got: string): string {
  return origin === 'number' || origin === 'int' || origin === 'bigint' ? `; got ${got}` : '';
}

/**
 * YAML 1.2 reads 0640 as the decimal 640, and the sink schemas take a number only (not a quoted "0640"), so the
 * fix is the 0o prefix. Said only when the digits read as octal give a valid mode.
 */
function fileModeMessage(input: number): string {
  const digits = String(input);
  const octal = /^[0-7]{1,3}$/.test(digits) ? parseInt(digits, 8) : undefined;
  if (octal === undefined) return `must be at most 0o777 (decimal 511); got ${input}; write a mode in octal with 0o, e.g. 0o640`;
  return `${input} is not a file mode: YAML reads 0${digits} as the decimal ${input}; write it as 0o${digits}, or as the decimal ${octal}`;
}

function unionMessage(errors: readonly (readonly z.core.$ZodIssue[])[], forms: string[] | undefined, got: string): string {
  // Every branch refused the value's type (text where a mapping belongs): say so once.
  const expected = new Set(
    errors.map((branch) => (branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0 ? branch[0].expected : undefined)),
  );
  const [only] = expected;
  if (expected.size === 1 && only !== undefined) return `expected ${typeName(only, false)}, got ${got}`;
  return forms ? `must be one of these forms: ${forms.slice(0, -1).join(', ')} or ${forms[forms.length - 1]}` : 'does not match any accepted form';
}
