import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../src/config/json-schema.js';
import { sinkPlugins } from '../src/registry.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const configs = [
  ...readdirSync(examples)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(examples, f)),
  join(examples, 'elasticsearch', 'siem-demo.yaml'),
];

describe('the example configs carry an editor schema that is up to date', () => {
  it('examples/config.schema.json is what `qcs-export schema` prints today (regenerate it with that command)', () => {
    const committed = JSON.parse(readFileSync(join(examples, 'config.schema.json'), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema(sinkPlugins))));
  });

  it.each(configs)('%s starts with the yaml-language-server line pointing at it', (file) => {
    const first = readFileSync(file, 'utf8').split('\n')[0];
    expect(first).toMatch(/^# yaml-language-server: \$schema=(\.\/|\.\.\/)config\.schema\.json$/);
  });
});
