import { describe, expect, it } from 'vitest';
import { QUALYS_PLATFORM_NAMES, QUALYS_PLATFORMS } from '@qcs-export/core';
import { parse, problems } from './config-support.js';
import { useCliHarness } from './support.js';

const h = useCliHarness();

const source = (lines: string) => `source:
${lines}
  auth: { username: u, password: p }
sinks:
  - type: jsonl
    path: out/x.jsonl
`;

describe('config: source.platform names the Qualys gateway', () => {
  it.each(QUALYS_PLATFORM_NAMES)('%s picks its gateway', (name) => {
    const config = parse(source(`  platform: ${name}`));
    expect(config.source).toMatchObject({ platform: name, baseUrl: QUALYS_PLATFORMS[name] });
  });

  it('uses https gateways on the Qualys domains only', () => {
    for (const url of Object.values(QUALYS_PLATFORMS)) {
      expect(new URL(url).protocol).toBe('https:');
      expect(new URL(url).hostname).toMatch(/^gateway\.qg\d\.apps\.qualys(ksa)?\.[a-z.]+$/);
    }
  });

  it('lets baseUrl win, and warns when the two name different gateways', () => {
    const proxy = parse(source('  platform: EU1\n  baseUrl: https://qualys-proxy.example.com'));
    expect(proxy.source).toMatchObject({ baseUrl: 'https://qualys-proxy.example.com' });
    expect(proxy.warnings).toEqual([
      'source.baseUrl https://qualys-proxy.example.com is used; source.platform EU1 (https://gateway.qg1.apps.qualys.eu) is ignored',
    ]);
    const same = parse(source('  platform: US2\n  baseUrl: https://gateway.qg2.apps.qualys.com/'));
    expect(same.warnings).toBeUndefined();
  });

  it('refuses an unknown name, listing the valid ones', () => {
    const message = problems(source('  platform: EU4'));
    expect(message).toContain('cfg.yaml:2:13 source.platform: must be one of US1, US2, US3, US4, EU1, EU2, EU3, IN1, CA1, AE1, UK1, AU1, KSA1; got "EU4"');
  });

  it('needs one of platform and baseUrl, and says both', () => {
    expect(problems(source('  filter: x'))).toContain('source.baseUrl: baseUrl or platform is required: platform: US1 | US2 |');
  });

  it('exits 2 on an unknown platform, from the command line', async () => {
    const { code, stderr } = await h.cli(['validate', '-c', await h.config(source('  platform: us9'))]);
    expect(code).toBe(2);
    expect(stderr).toContain('source.platform: must be one of US1');
  });
});

describe("the README's platform table", () => {
  it('lists every platform with the gateway the config uses', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const [name, url] of Object.entries(QUALYS_PLATFORMS)) expect(readme).toContain(`| \`${name}\` | \`${url}\` |`);
  });
});
