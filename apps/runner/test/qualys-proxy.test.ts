import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startQualysFront, type QualysFront } from './qualys-front.js';
import { PASSWORD, useCliHarness } from './support.js';

const h = useCliHarness();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

// core's TLS fixtures: a test CA, and a certificate it signed for gateway.other.invalid only (a name no DNS resolves).
const tls = (name: string) => fileURLToPath(new URL(`../../../packages/core/test/fixtures/tls/${name}`, import.meta.url));
const GATEWAY = 'gateway.other.invalid';

/**
 * A forward proxy on loopback that records every request it gets: CONNECT tunnels to the gateway's name reach the
 * HTTPS front (only the proxy knows where that name is); anything else, a request for a loopback host included, is
 * recorded and refused.
 */
async function startProxy(front: { port: number }): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(502).end();
  });
  server.on('connect', (req, client) => {
    seen.push(`CONNECT ${req.url}`);
    if (req.url !== `${GATEWAY}:${front.port}`) return void client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    const upstream = connect(front.port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** The simulator behind an HTTPS front presenting a certificate for the gateway's name. */
async function gateway(): Promise<{ front: QualysFront; port: number }> {
  const sim = await h.simulator({ images: 20 });
  const front = await startQualysFront(sim.url, {
    tls: { key: await readFile(tls('server.key'), 'utf8'), cert: await readFile(tls('other-name.crt'), 'utf8') },
  });
  closers.push(() => front.close());
  return { front, port: Number(new URL(front.url).port) };
}

async function run(baseUrl: string, env: NodeJS.ProcessEnv, source = '') {
  await mkdir(join(h.dir, 'out'), { recursive: true });
  const file = await h.config(
    `source:\n  baseUrl: ${baseUrl}\n  auth:\n    username: auditor\n    password: \${QUALYS_PASSWORD}\n  strategy: pages\n  retries: 1\n${source}` +
      'sinks:\n  - type: jsonl\n    path: out/images.jsonl\n',
  );
  return h.cli(['run', '-c', file], { QUALYS_PASSWORD: PASSWORD, ...env });
}

const exported = async () => (await readFile(join(h.dir, 'out/images.jsonl'), 'utf8')).trim().split('\n').length;

describe('the Qualys client and proxies: the rules the Elasticsearch sink follows too (issue 17)', () => {
  it('a loopback gateway is reached directly although HTTPS_PROXY and HTTP_PROXY are set', async () => {
    const sim = await h.simulator({ images: 20 });
    const proxy = await startProxy({ port: 1 });
    const r = await run(sim.url, { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url });
    expect(r.code, r.stderr).toBe(0);
    expect(await exported()).toBe(20);
    expect(proxy.seen).toEqual([]);
  });

  it('a gateway only the proxy can reach is exported through it, over TLS inside the tunnel', async () => {
    const { port } = await gateway();
    const proxy = await startProxy({ port });
    const r = await run(`https://${GATEWAY}:${port}`, { HTTPS_PROXY: proxy.url }, `  tls:\n    caFile: ${tls('ca.crt')}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(await exported()).toBe(20);
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${GATEWAY}:${port}`]));
  });

  it('lower-case https_proxy wins over HTTPS_PROXY, and NO_PROXY exempts the gateway', async () => {
    const { port } = await gateway();
    const proxy = await startProxy({ port });
    const caFile = `  tls:\n    caFile: ${tls('ca.crt')}\n`;
    // HTTPS_PROXY names a port nothing listens on: only the lower-case proxy can carry the run.
    const won = await run(`https://${GATEWAY}:${port}`, { https_proxy: proxy.url, HTTPS_PROXY: 'http://127.0.0.1:9' }, caFile);
    expect(won.code, won.stderr).toBe(0);
    const before = proxy.seen.length;
    const exempt = await run(`https://${GATEWAY}:${port}`, { HTTPS_PROXY: proxy.url, NO_PROXY: `.other.invalid` }, caFile);
    // Direct, the name does not resolve: a network failure, and the proxy saw nothing more.
    expect(exempt.code).toBe(1);
    expect(exempt.stderr).toMatch(/QCS_NETWORK/);
    expect(proxy.seen.length).toBe(before);
  });
});
