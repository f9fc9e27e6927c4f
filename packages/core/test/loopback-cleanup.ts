import type { Server } from 'node:http';
import { afterEach } from 'vitest';
import type { QualysClient } from '../src/index.js';

/**
 * The loopback servers and clients a client test starts, closed after each test (connections first, so a server
 * holding a slow or trickling answer does not keep the next test waiting).
 */
export function useLoopbackCleanup(): { servers: Server[]; clients: QualysClient[] } {
  const servers: Server[] = [];
  const clients: QualysClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(
      servers.splice(0).map(
        (s) =>
          new Promise((r) => {
            s.closeAllConnections();
            s.close(r);
          }),
      ),
    );
  });
  return { servers, clients };
}
