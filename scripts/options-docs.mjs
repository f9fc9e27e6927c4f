// Rewrites the generated option docs from the built runner (`pnpm docs:options` builds first): the README's option
// tables between their `<!-- options:NAME:start/end -->` markers, and examples/config.schema.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../apps/runner/dist/config/json-schema.js';
import { readmeOptionTables, readmeWithOptionTables } from '../apps/runner/dist/config/readme-options.js';
import { sinkPlugins } from '../apps/runner/dist/registry.js';

const root = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));

function update(path, next) {
  const before = readFileSync(root(path), 'utf8');
  if (before === next) return console.log(`${path}: up to date`);
  writeFileSync(root(path), next);
  console.log(`${path}: updated`);
}

update('README.md', readmeWithOptionTables(readFileSync(root('README.md'), 'utf8'), readmeOptionTables(sinkPlugins)));
// The same text `qcs-export schema` prints.
update('examples/config.schema.json', `${JSON.stringify(configJsonSchema(sinkPlugins), null, 2)}\n`);
