import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CertificateError, QualysClient, type Logger, type QualysClientOptions, type QualysSetting } from '../src/index.js';
import { useLoopbackCleanup } from './loopback-cleanup.js';
import { TLS_FIXTURES } from './tls-fixtures.js';

const { servers, clients } = useLoopbackCleanup();
const IMAGES = { data: [{ sha: 'a'.repeat(64) }], count: 1 };

/** A loopback HTTPS Qualys presenting `cert`; it counts TCP connections, so a retried handshake shows. */
async function httpsQualys(cert: Parameters<typeof TLS_FIXTURES.cert>[0]): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer({ key: TLS_FIXTURES.key(), cert: TLS_FIXTURES.cert(cert) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(IMAGES));
  });
  server.on('connection', () => connections++);
  servers.push(server as never);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

const CONFIG_NAMES: Partial<Record<QualysSetting, string>> = { tlsCaFile: 'source.tls.caFile', baseUrl: 'source.baseUrl' };

function client(url: string, options: Partial<QualysClientOptions> = {}): QualysClient {
  const c = new QualysClient({
    baseUrl: url,
    auth: { kind: 'token', token: 'secret-token-value' },
    env: {},
    retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20 },
    settingName: (s) => CONFIG_NAMES[s] ?? s,
    ...options,
  });
  clients.push(c);
  return c;
}

async function certificateFailure(promise: Promise<unknown>): Promise<CertificateError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CertificateError);
  return error as CertificateError;
}

describe('TLS to Qualys: a private CA, and certificate failures that are not retried (issue 17)', () => {
  it('trusts the CA in `ca` in addition to the built-in ones: HTTPS to a server its private CA signed works', async () => {
    const { url } = await httpsQualys('server');
    const res = await client(url, { ca: TLS_FIXTURES.ca() }).get('/csapi/v1.3/images');
    expect(res.body).toEqual(IMAGES);
  });

  it.each([
    [
      'a certificate from a CA nobody told it about',
      'server',
      undefined,
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'is not signed by a CA this process trusts',
      'tlsCaFile',
    ],
    ['a self-signed certificate', 'self-signed', undefined, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'is not signed by a CA this process trusts', 'tlsCaFile'],
    ['an expired certificate, even from a trusted CA', 'expired', TLS_FIXTURES.ca(), 'CERT_HAS_EXPIRED', 'is outside its validity dates', undefined],
    [
      'a certificate for another name, even from a trusted CA',
      'other-name',
      TLS_FIXTURES.ca(),
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'is for another name',
      'baseUrl',
    ],
  ] as const)(
    '%s fails on the first attempt, QCS_NETWORK, with a hint naming source.tls.caFile and NODE_EXTRA_CA_CERTS',
    async (_, cert, ca, code, says, setting) => {
      const { url, connections } = await httpsQualys(cert);
      const error = await certificateFailure(client(url, ca === undefined ? {} : { ca }).get('/csapi/v1.3/images'));
      expect(error.code).toBe('QCS_NETWORK');
      expect(error.setting).toBe(setting);
      expect(error.message).toContain(`GET /csapi/v1.3/images: the TLS certificate`);
      expect(error.message).toContain(`(${code})`);
      expect(error.message).toContain(says);
      expect(error.hint).toContain('source.tls.caFile');
      expect(error.hint).toContain('NODE_EXTRA_CA_CERTS');
      expect(error.message).not.toContain('secret-token-value');
      // Three retries were allowed: one connection means none was used.
      expect(connections()).toBe(1);
    },
  );
});

describe('NODE_TLS_REJECT_UNAUTHORIZED=0 (issue 17)', () => {
  const before = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
  afterEach(() => {
    if (before === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = before;
  });

  function recordingLogger(): Logger & { warnings: string[] } {
    const warnings: string[] = [];
    const noop = () => {};
    return { warnings, debug: noop, info: noop, warn: (message) => void warnings.push(message), error: noop };
  }

  it('is warned about once, through the logger, naming the safe alternatives; without it, nothing is said', async () => {
    const quiet = recordingLogger();
    client('http://127.0.0.1:9', { logger: quiet });
    expect(quiet.warnings).toEqual([]);

    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
    const logger = recordingLogger();
    const { url } = await httpsQualys('self-signed');
    const c = client(url, { logger });
    // Node does accept any certificate now: the self-signed server answers, twice, and the warning came once.
    await c.get('/csapi/v1.3/images');
    await c.get('/csapi/v1.3/images');
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain('NODE_TLS_REJECT_UNAUTHORIZED=0');
    expect(logger.warnings[0]).toContain('TLS certificates are not checked');
    expect(logger.warnings[0]).toContain('source.tls.caFile or NODE_EXTRA_CA_CERTS');
  });
});
