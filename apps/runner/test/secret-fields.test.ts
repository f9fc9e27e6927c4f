import { isSecretField, Redactor, SECRET_FIELD_NAMES } from '@qcs-export/core';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { redactedConfig } from '../src/audit/redacted-config.js';
import { isSecretPath } from '../src/config/paths.js';
import { liveSourceSchema, type Config, type SourceConfig } from '../src/config/schema.js';
import { keysAt } from '../src/config/schema-walk.js';
import { registerSecrets } from '../src/source-setup.js';
import { sinkPlugins } from '../src/registry.js';

const SECRET = 'S3cr3t-value/+=';

/** Every key at or under `path` in a schema, as [dot path, key]. */
function keysUnder(schema: z.core.$ZodType, path: Array<string | number>): Array<[string, string]> {
  return keysAt(schema, path).flatMap((key): Array<[string, string]> => [[[...path, key].join('.'), key], ...keysUnder(schema, [...path, key])]);
}

/** The credential fields of every auth form the config accepts: the source's and each sink's `auth`. */
const authFields = (): Array<[string, string]> => [
  ...keysUnder(liveSourceSchema('any'), ['auth']).map(([p, k]): [string, string] => [`source.${p}`, k]),
  ...[...sinkPlugins.values()].flatMap((p) => keysUnder(p.options as z.core.$ZodType, ['auth']).map(([path, k]): [string, string] => [`${p.type}.${path}`, k])),
];

describe("core's list of secret fields is the one every part of the runner uses (issue 18)", () => {
  it('every value field of every auth form in the config is on the list, except usernames', () => {
    const fields = authFields().filter(([, key]) => key !== 'basic');
    expect(fields.map(([path]) => path)).toEqual(expect.arrayContaining(['source.auth.password', 'source.auth.token', 'elasticsearch.auth.apiKey']));
    const missing = fields.filter(([, key]) => key !== 'username' && !isSecretField(key)).map(([path]) => path);
    expect(missing, 'add the new credential field to SECRET_FIELD_NAMES in packages/core/src/secret-fields.ts').toEqual([]);
  });

  const spellings = SECRET_FIELD_NAMES.flatMap((name) => [
    name,
    name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    `client${name[0]?.toUpperCase()}${name.slice(1)}`,
  ]);
  it.each([...new Set(spellings)])('config messages hide a value under "%s", and the manifest redacts it', (key) => {
    expect(isSecretPath(['sinks', 0, key])).toBe(true);
    const config = { source: { baseUrl: 'https://q.example' }, sinks: [{ type: 'csv', name: 'csv', options: { path: 'a.csv', [key]: SECRET } }], run: {} };
    const shown = JSON.stringify(redactedConfig(config as unknown as Config, new Map(), (t) => t));
    expect(shown).not.toContain(SECRET);
    expect(shown).toContain('a.csv');
  });

  it('everything under an auth mapping stays out of config messages, the username too', () => {
    expect(isSecretPath(['source', 'auth', 'username'])).toBe(true);
    expect(isSecretPath(['source', 'baseUrl'])).toBe(false);
  });

  it.each([
    ['username and password', { username: 'alice', password: SECRET }, [SECRET]],
    ['token', { token: SECRET }, [SECRET]],
    ['basic', { basic: { username: 'alice', password: SECRET } }, [SECRET, Buffer.from(`alice:${SECRET}`).toString('base64')]],
  ])("the run's redactor hides the source's %s credentials", (_form, auth, hidden) => {
    const redactor = new Redactor();
    registerSecrets({ baseUrl: 'https://q.example', auth } as unknown as SourceConfig, redactor);
    const out = redactor.redact(`alice: ${hidden.join(' ')}`);
    for (const secret of hidden) expect(out).not.toContain(secret);
    expect(out).toContain('alice');
  });
});
