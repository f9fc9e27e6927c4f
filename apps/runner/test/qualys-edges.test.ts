import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startQualysFront, type QualysFront, type QualysFrontOptions } from './qualys-front.js';
import { PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();
const fronts: QualysFront[] = [];
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
});

// The test certificates of core's client tests (packages/core/test/fixtures/README.md): a CA, and 127.0.0.1 signed by it.
const tls = (name: string) => fileURLToPath(new URL(`../../../packages/core/test/fixtures/tls/${name}`, import.meta.url));
const SERVER_TLS = async () => ({ key: await readFile(tls('server.key'), 'utf8'), cert: await readFile(tls('server.crt'), 'utf8') });
const IMAGES = 25;

async function front(options: QualysFrontOptions = {}): Promise<QualysFront> {
  const sim = await h.simulator({ images: IMAGES });
  const f = await startQualysFront(sim.url, options);
  fronts.push(f);
  return f;
}

/** A config reading every image by page numbers into out/images.jsonl, with `source` lines added. */
function config(url: string, source = ''): string {
  return (
    `source:\n  baseUrl: ${url}\n  auth:\n    username: auditor\n    password: \${QUALYS_PASSWORD}\n  strategy: pages\n  retries: 2\n${source}` +
    'sinks:\n  - type: jsonl\n    path: out/images.jsonl\n'
  );
}

async function run(body: string, env: NodeJS.ProcessEnv = {}) {
  await mkdir(join(h.dir, 'out'), { recursive: true });
  const file = await h.config(body);
  return h.cli(['run', '-c', file, '--manifest', 'out/manifest.json'], { QUALYS_PASSWORD: PASSWORD, ...env });
}

const jsonl = async () =>
  (await readFile(join(h.dir, 'out/images.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { sha: string; size: unknown; extra: Record<string, unknown> });
const manifest = async () => JSON.parse(await readFile(join(h.dir, 'out/manifest.json'), 'utf8')) as Record<string, unknown>;

/**
 * Each image of a /images page gets what no JSON.stringify of the simulator can write: a "__proto__" key, an id of
 * 2^63 scale, and on every other image a size beyond 2^53 where the rest have an ordinary one.
 */
function hostileNumbersAndKeys(path: string, body: string): string {
  if (path !== '/csapi/v1.3/images') return body;
  const page = JSON.parse(body) as { data?: Array<Record<string, unknown>> };
  const holes: string[] = [];
  for (const image of page.data ?? []) {
    const n = holes.length;
    Object.defineProperty(image, '__proto__', { value: { polluted: 'yes' }, enumerable: true });
    image['exactId'] = `@@${n}@@`;
    holes.push(String(2n ** 63n + BigInt(image['sha'] === undefined ? n : parseInt(String(image['sha']).slice(0, 8), 16))));
    if (n % 2 === 1) image['size'] = `@@size${n}@@`;
  }
  return JSON.stringify(page)
    .replace(/"@@(\d+)@@"/g, (_, i: string) => holes[Number(i)] as string)
    .replace(/"@@size(\d+)@@"/g, '98765432109876543210');
}

describe('answers no simulator writes reach the JSON Lines file as data (issue 17)', () => {
  it('a "__proto__" key stays a field of extra, integers beyond 2^53 keep every digit, and no key changes type', async () => {
    const f = await front({ rewrite: hostileNumbersAndKeys });
    const r = await run(config(f.url));
    expect(r.code, r.stderr).toBe(0);
    const records = await jsonl();
    expect(records).toHaveLength(IMAGES);
    for (const record of records) {
      expect(Object.getOwnPropertyDescriptor(record.extra, '__proto__')?.value).toEqual({ polluted: 'yes' });
      expect(String(2n ** 63n + BigInt(parseInt(record.sha.slice(0, 8), 16)))).toBe(record.extra['exactId']);
      // size is a count: a number or null in every record; the one no number holds is kept, exact, in extra.
      expect(record.size === null || typeof record.size === 'number').toBe(true);
      if (record.size === null) expect(record.extra['size']).toBe('98765432109876543210');
    }
    expect(records.filter((x) => x.size === null).length).toBeGreaterThan(5);
    expect(new Set(records.map((x) => typeof x.extra['exactId']))).toEqual(new Set(['string']));
    // And the run says so, once per field.
    expect(r.stderr.match(/warn: \/csapi\/v1\.3\/images: field "exactId" holds integers beyond 2\^53/g)).toHaveLength(1);
    expect(r.stderr.match(/field "size" holds integers beyond 2\^53/g)).toHaveLength(1);
  });
});

describe('TLS to Qualys (issue 17)', () => {
  it('source.tls.caFile makes a private CA trusted, and the manifest says certificates were checked', async () => {
    const f = await front({ tls: await SERVER_TLS() });
    const r = await run(config(f.url, `  tls:\n    caFile: ${tls('ca.crt')}\n`));
    expect(r.code, r.stderr).toBe(0);
    expect(await jsonl()).toHaveLength(IMAGES);
    expect(r.stderr).not.toContain('NODE_TLS_REJECT_UNAUTHORIZED');
    expect((await manifest())['tlsVerificationDisabled']).toBe(false);
  });

  it('without it the certificate is refused at once, not retried, and the message says where to put the CA', async () => {
    const f = await front({ tls: await SERVER_TLS() });
    const r = await run(config(f.url));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[QCS_NETWORK]');
    expect(r.stderr).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(r.stderr).toContain('source.tls.caFile');
    expect(r.stderr).toContain('NODE_EXTRA_CA_CERTS');
    expect(r.stderr).not.toContain('retry 1/2');
    expect(f.connections()).toBe(1);
    expect(r.stderr).not.toContain(PASSWORD);
  });

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 lets the run through, with one warning, and the manifest records it', async () => {
    const f = await front({ tls: await SERVER_TLS() });
    const r = await run(config(f.url), { NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('warn:') && l.includes('NODE_TLS_REJECT_UNAUTHORIZED=0'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('source.tls.caFile or NODE_EXTRA_CA_CERTS');
    expect((await manifest())['tlsVerificationDisabled']).toBe(true);
  });

  it('a caFile that is not a regular PEM file is a config error naming source.tls.caFile, before any connection', async () => {
    const f = await front({ tls: await SERVER_TLS() });
    const directory = await run(config(f.url, `  tls:\n    caFile: ${h.dir}\n`));
    expect(directory.code).toBe(2);
    expect(directory.stderr).toContain(`source.tls.caFile: ${h.dir} is a directory`);
    const notPem = await run(config(f.url, `  tls:\n    caFile: ${tls('../README.md')}\n`));
    expect(notPem.code).toBe(2);
    expect(notPem.stderr).toContain('holds no PEM certificate');
    expect(f.connections()).toBe(0);
  });
});

describe('source.maxResponseMiB (issue 17)', () => {
  it('an answer over the cap fails the run with QCS_PROTOCOL naming the endpoint and the option, and writes nothing', async () => {
    const pad = (path: string, body: string) => (path === '/csapi/v1.3/images' ? body.replace(/^\{/, `{"padding":"${'x'.repeat(1536 * 1024)}",`) : body);
    const f = await front({ rewrite: pad });
    const r = await run(config(f.url, '  maxResponseMiB: 1\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[QCS_PROTOCOL]');
    expect(r.stderr).toContain('GET /csapi/v1.3/images');
    expect(r.stderr).toContain('1 MiB (1048576 bytes)');
    expect(r.stderr).toContain('raise source.maxResponseMiB');
    await expect(readFile(join(h.dir, 'out/images.jsonl'))).rejects.toThrow();
  });
});
