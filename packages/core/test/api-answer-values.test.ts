import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { quoteUnsafeIntegers } from '../src/client/exact-json.js';
import { normalizeImage, QualysClient, type Logger } from '../src/index.js';
import { useLoopbackCleanup } from './loopback-cleanup.js';

const { servers, clients } = useLoopbackCleanup();
const SHA = 'ab'.repeat(32);

/** A loopback API answering every call with `text`, byte for byte: the JSON a test writes is what the client parses. */
async function answering(text: string, logger?: Logger): Promise<QualysClient> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(text);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = new QualysClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth: { kind: 'token', token: 't' }, env: {}, logger });
  clients.push(c);
  return c;
}

async function images(text: string): Promise<Array<Record<string, unknown>>> {
  const res = await (await answering(text)).get<{ data: Array<Record<string, unknown>> }>('/csapi/v1.3/images');
  return res.body?.data ?? [];
}

describe('integers beyond 2^53 in an answer are kept exactly (issue 17)', () => {
  const answer =
    `{"data":[{"sha":"${SHA}","layerCount":12345678901234567891,"negative":-9007199254740993,"largestSafe":9007199254740991,` +
    `"twoTo53":9007199254740992,"fraction":12345678901234567891.5,"exponent":1e21,` +
    `"text":"12345678901234567891 stays text, \\"99999999999999999999\\" too","nested":{"ids":[18446744073709551615,7]},` +
    `"size":98765432109876543210,"created":1700000000123456789,"riskScore":12,` +
    `"vulnerabilities":[{"qid":11111111111111111111,"severity":5}]}],"count":1}`;

  it('the client hands them on as strings of their exact digits; safe integers, fractions, exponents and strings are untouched', async () => {
    const [image] = await images(answer);
    expect(image).toMatchObject({
      layerCount: '12345678901234567891',
      negative: '-9007199254740993',
      largestSafe: 9007199254740991,
      twoTo53: '9007199254740992',
      fraction: Number('12345678901234567891.5'),
      exponent: 1e21,
      text: '12345678901234567891 stays text, "99999999999999999999" too',
      nested: { ids: ['18446744073709551615', 7] },
    });
  });

  it('the run says once per field that it holds such integers, written as strings', async () => {
    const warnings: string[] = [];
    const noop = () => {};
    const c = await answering(answer, { debug: noop, info: noop, error: noop, warn: (message) => void warnings.push(message) });
    await c.get('/csapi/v1.3/images');
    await c.get('/csapi/v1.3/images');
    const fields = warnings.map((w) => /field "([^"]*)" holds integers beyond 2\^53/.exec(w)?.[1]);
    expect(fields.sort()).toEqual(['created', 'ids', 'layerCount', 'negative', 'qid', 'size', 'twoTo53']);
    expect(warnings[0]).toContain('/csapi/v1.3/images: field');
    expect(warnings[0]).toContain('strings of their exact digits');
  });

  it('normalized, a typed field that cannot hold one exactly is null and keeps the exact value in extra; no typed field changes type', async () => {
    const [raw] = await images(answer);
    const record = normalizeImage(raw, 'images/details');
    // size is a count and created a date: numbers and ISO strings only, so the raw values go to extra, exact.
    expect(record.size).toBeNull();
    expect(record.created).toBeNull();
    expect(record.riskScore).toBe(12);
    expect(record.extra).toMatchObject({ size: '98765432109876543210', created: '1700000000123456789', layerCount: '12345678901234567891' });
    expect(record.vulnerabilities?.[0]).toMatchObject({ qid: null, severity: 5, extra: { qid: '11111111111111111111' } });
    // Read back from the JSON an output would hold: the digits are all there.
    expect(JSON.stringify(record)).toContain('"layerCount":"12345678901234567891"');
  });

  it('the scan leaves strings alone, escaped quotes included, and changes nothing in an answer without such integers', () => {
    const text = '{"a":"x\\\\","b":12345678901234567891,"c":"\\"12345678901234567891\\"","d":[1,-2.5e3,true,null]}';
    expect(quoteUnsafeIntegers(text)).toBe('{"a":"x\\\\","b":"12345678901234567891","c":"\\"12345678901234567891\\"","d":[1,-2.5e3,true,null]}');
    const plain = `{"sha":"${SHA}","created":"1700000000000","size":123456789012345}`;
    expect(quoteUnsafeIntegers(plain)).toBe(plain);
  });
});

describe('a record key "__proto__" is data, kept through normalization (issue 17)', () => {
  const answer =
    `{"data":[{"sha":"${SHA}","__proto__":{"polluted":"yes"},"layers":[{"sha":"l1","__proto__":"layer-value"}],` +
    `"vulnerabilities":[{"qid":1,"severity":3,"__proto__":{"isAdmin":true}}]}],"count":1}`;

  it('lands in extra as an own field of the image, its layer and its finding, and no prototype changes', async () => {
    const [raw] = await images(answer);
    const record = normalizeImage(raw, 'images/details');
    for (const [extra, value] of [
      [record.extra, { polluted: 'yes' }],
      [record.layers?.[0]?.extra, 'layer-value'],
      [record.vulnerabilities?.[0]?.extra, { isAdmin: true }],
    ] as const) {
      expect(Object.hasOwn(extra ?? {}, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(extra, '__proto__')?.value).toEqual(value);
      expect(Object.getPrototypeOf(extra)).toBe(Object.prototype);
    }
    expect((record.extra as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown; isAdmin?: unknown }).polluted).toBeUndefined();
    const line = JSON.stringify(record);
    expect(line).toContain('"__proto__":{"polluted":"yes"}');
    expect(line).toContain('"__proto__":"layer-value"');
    expect(line).toContain('"__proto__":{"isAdmin":true}');
  });
});
