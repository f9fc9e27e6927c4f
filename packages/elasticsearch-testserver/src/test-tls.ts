import { fileURLToPath } from 'node:url';

/**
 * A self-signed certificate for 127.0.0.1 shipped with this package (fixtures/), for tests of a client's TLS
 * options against `startElasticsearchTestServer({ tls })`. It protects nothing.
 */
export const TEST_TLS = {
  keyFile: fileURLToPath(new URL('../fixtures/test-node.key', import.meta.url)),
  certFile: fileURLToPath(new URL('../fixtures/test-node.crt', import.meta.url)),
  /** `openssl x509 -in fixtures/test-node.crt -noout -fingerprint -sha256` */
  sha256Fingerprint: '3F:24:AA:8F:96:78:B8:70:99:C0:EF:E2:76:58:03:B4:0C:D5:1C:7E:DA:E1:D3:BA:B5:A1:4F:78:39:B8:B0:A6',
} as const;
