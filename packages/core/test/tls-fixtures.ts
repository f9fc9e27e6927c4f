import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The test certificates in fixtures/tls/ (see fixtures/README.md): paths and contents. */
const path = (name: string) => fileURLToPath(new URL(`./fixtures/tls/${name}`, import.meta.url));

export const TLS_FIXTURES = {
  caFile: path('ca.crt'),
  keyFile: path('server.key'),
  certFile: path('server.crt'),
  ca: () => readFileSync(path('ca.crt'), 'utf8'),
  key: () => readFileSync(path('server.key'), 'utf8'),
  /** The server's certificate: signed by the CA for 127.0.0.1, or one of the broken ones. */
  cert: (kind: 'server' | 'other-name' | 'expired' | 'self-signed' = 'server') => readFileSync(path(`${kind}.crt`), 'utf8'),
};
