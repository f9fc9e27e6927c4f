import type { z } from 'zod';
import { type DocMeta, metaOf, readSchema } from './zod-node.js';

/** One option as the README's tables show it: its dot path, its default and what it does. */
export interface OptionRow {
  key: string;
  default: string;
  description: string;
}

/** A default value as the docs show it: code, with strings quoted only where the quotes matter ("; "). */
export function formatDefault(value: unknown): string | undefined {
  if (typeof value === 'string') return `\`${value === '' || value.trim() !== value ? JSON.stringify(value) : value}\``;
  if (typeof value === 'number' || typeof value === 'boolean') return `\`${String(value)}\``;
  return undefined;
}

interface Unwrapped {
  inner: z.core.$ZodType;
  meta: DocMeta;
  /** Present when a `.default()` wrapper supplies one. */
  schemaDefault?: { value: unknown };
  optional: boolean;
}

/** Peels optional/default/… wrappers; metadata found on an outer wrapper wins over the same key further in. */
function unwrap(schema: z.core.$ZodType): Unwrapped {
  const found: Unwrapped = { inner: schema, meta: {}, optional: false };
  for (let current: z.core.$ZodType | undefined = schema; current; ) {
    found.inner = current;
    found.meta = { ...metaOf(current), ...found.meta };
    const node = readSchema(current);
    if (node.type === 'optional') found.optional = true;
    if ((node.type === 'default' || node.type === 'prefault') && found.schemaDefault === undefined) found.schemaDefault = { value: node.defaultValue };
    current =
      node.type === 'optional' ||
      node.type === 'nullable' ||
      node.type === 'default' ||
      node.type === 'prefault' ||
      node.type === 'readonly' ||
      node.type === 'pipe'
        ? node.inner
        : undefined;
  }
  return found;
}

function defaultCell(u: Unwrapped, underAlternative: boolean): string {
  if (u.meta.defaultText !== undefined) return u.meta.defaultText;
  const value = u.meta.default !== undefined ? u.meta.default : u.schemaDefault?.value;
  const shown = value === undefined ? undefined : formatDefault(value);
  if (shown !== undefined) return shown;
  return u.optional || u.schemaDefault || underAlternative ? '' : '(required)';
}

/** The fields of each object a value may be (one, or each branch of a union of objects), or none for a plain value. */
function objectForms(schema: z.core.$ZodType): Array<Readonly<Record<string, z.core.$ZodType>>> {
  const node = readSchema(schema);
  if (node.type === 'object') return [node.shape];
  if (node.type !== 'union') return [];
  const forms = node.options.map((option) => readSchema(unwrap(option).inner));
  return forms.every((f) => f.type === 'object') ? forms.map((f) => f.shape) : [];
}

/**
 * Every option of an object schema, depth first: a row for each key, then the keys inside it when it is an object
 * or a union of objects (the forms of `auth`). A key required only inside an optional object or inside one of
 * several forms shows no "(required)". A key without a description throws, so no option goes undocumented.
 */
export function optionRows(schema: z.core.$ZodType, prefix = '', underAlternative = false): OptionRow[] {
  const forms = objectForms(unwrap(schema).inner);
  const rows: OptionRow[] = [];
  for (const form of forms) {
    for (const [name, child] of Object.entries(form)) {
      const key = `${prefix}${name}`;
      if (rows.some((r) => r.key === key)) continue;
      const u = unwrap(child);
      if (!u.meta.description) throw new Error(`option ${key} has no description: add .meta({ description }) to its schema`);
      rows.push({ key, default: defaultCell(u, underAlternative), description: u.meta.description });
      const nested = objectForms(u.inner);
      if (nested.length > 0) {
        const alternative = underAlternative || forms.length > 1 || nested.length > 1 || u.optional || u.schemaDefault !== undefined;
        for (const row of optionRows(u.inner, `${key}.`, alternative)) if (!rows.some((r) => r.key === row.key)) rows.push(row);
      }
    }
  }
  return rows;
}

const cell = (text: string): string => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

/** The README's `| key | default | meaning |` table for these rows. */
export function optionsTable(rows: readonly OptionRow[]): string {
  const lines = ['| key | default | meaning |', '|---|---|---|'];
  for (const row of rows) lines.push(`| \`${row.key}\` | ${cell(row.default)} | ${cell(row.description)} |`);
  return lines.join('\n');
}
