import { z } from 'zod';

/** One option as the README's tables show it: its dot path, its default and what it does. */
export interface OptionRow {
  key: string;
  default: string;
  description: string;
}

/**
 * The documentation a schema carries in `.meta()`: `description`; `default` for a value applied outside the schema
 * (it is a real value, so the JSON Schema gets it too); `defaultText` for a default that is not one value (markdown).
 */
interface DocMeta {
  description?: string;
  default?: unknown;
  defaultText?: string;
}

type Def = z.core.$ZodTypes['_zod']['def'];
const defOf = (schema: z.core.$ZodType): Def => (schema as z.core.$ZodTypes)._zod.def;

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
    found.meta = { ...((z.globalRegistry.get(current) as DocMeta | undefined) ?? {}), ...found.meta };
    const def = defOf(current);
    if (def.type === 'optional') found.optional = true;
    if ((def.type === 'default' || def.type === 'prefault') && found.schemaDefault === undefined) found.schemaDefault = { value: def.defaultValue };
    current =
      def.type === 'optional' || def.type === 'nullable' || def.type === 'default' || def.type === 'prefault' || def.type === 'readonly'
        ? def.innerType
        : def.type === 'pipe'
          ? def.in
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

/** The object schemas a value may be (one, or each branch of a union of objects), or none for a plain value. */
function objectForms(schema: z.core.$ZodType): Array<z.core.$ZodObject> {
  const def = defOf(schema);
  if (def.type === 'object') return [schema as z.core.$ZodObject];
  if (def.type !== 'union') return [];
  const forms = def.options.map((option) => unwrap(option).inner);
  return forms.every((f) => defOf(f).type === 'object') ? (forms as z.core.$ZodObject[]) : [];
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
    for (const [name, child] of Object.entries(form._zod.def.shape)) {
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
