import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { TEST_TLS } from '../src/index.js';

describe('the shipped test certificate', () => {
  it('has the fingerprint the package states, covers 127.0.0.1, and is valid for decades', async () => {
    const cert = new X509Certificate(await readFile(TEST_TLS.certFile));
    expect(cert.fingerprint256).toBe(TEST_TLS.sha256Fingerprint);
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(new Date(cert.validTo).getUTCFullYear()).toBeGreaterThan(2100);
  });
});
