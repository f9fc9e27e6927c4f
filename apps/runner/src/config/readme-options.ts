import type { AnySinkPlugin } from '@qcs-export/core';
import { optionRows, optionsTable } from './option-docs.js';
import { liveSourceSchema, runSchema, simulatorSourceSchema } from './schema.js';

/**
 * The README's option tables, by the name in their markers (`<!-- options:NAME:start -->` … `:end -->`): the
 * source, the simulator, each sink by its type, and run. They are generated from the schemas (`pnpm docs:options`)
 * so the README and `qcs-export schema` cannot disagree.
 */
export function readmeOptionTables(plugins: ReadonlyMap<string, AnySinkPlugin>): Map<string, string> {
  const tables = new Map<string, string>();
  tables.set('source', optionsTable(optionRows(liveSourceSchema('any'))));
  // The filter, strategy and paging keys are the live source's, documented in its table.
  tables.set('simulator', optionsTable(optionRows(simulatorSourceSchema).filter((r) => r.key === 'simulator' || r.key.startsWith('simulator.'))));
  for (const plugin of plugins.values()) {
    tables.set(plugin.type, optionsTable(optionRows(plugin.options)));
    for (const [name, table] of Object.entries(plugin.readmeTables ?? {})) tables.set(name, table);
  }
  tables.set('run', optionsTable(optionRows(runSchema)));
  return tables;
}

const markers = (name: string) => ({ start: `<!-- options:${name}:start -->`, end: `<!-- options:${name}:end -->` });

/** The table the README holds between a section's markers; throws when the markers are missing. */
export function readmeTable(readme: string, name: string): string {
  const { start, end } = markers(name);
  const from = readme.indexOf(start);
  const to = readme.indexOf(end, from);
  if (from < 0 || to < 0) throw new Error(`README.md has no ${start} … ${end} markers around the ${name} option table`);
  return readme.slice(from + start.length, to).trim();
}

/** The README with every generated table replaced, and the rest of the text untouched. */
export function readmeWithOptionTables(readme: string, tables: ReadonlyMap<string, string>): string {
  let text = readme;
  for (const [name, table] of tables) {
    const { start, end } = markers(name);
    readmeTable(text, name);
    const from = text.indexOf(start) + start.length;
    text = `${text.slice(0, from)}\n${table}\n${text.slice(text.indexOf(end, from))}`;
  }
  return text;
}
