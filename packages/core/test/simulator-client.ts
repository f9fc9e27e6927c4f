import { afterEach } from 'vitest';
import { startSimulator, type QualysSimulator, type SimulatorOptions } from '@qcs-export/qualys-simulator';
import { QualysClient, type RetryOptions } from '../src/index.js';

/**
 * A simulator on loopback and a client logged in to it, both closed after each test. Retries are quick (5–20 ms), so
 * a fault the client retries costs the test nothing; rate limits are off unless `options` sets them.
 */
export function useSimulatorClient(retry: Partial<RetryOptions> = {}): (options?: SimulatorOptions) => Promise<{ sim: QualysSimulator; client: QualysClient }> {
  let sim: QualysSimulator | undefined;
  let client: QualysClient | undefined;
  afterEach(async () => {
    await client?.close();
    await sim?.close();
    sim = undefined;
    client = undefined;
  });
  return async (options = {}) => {
    sim = await startSimulator({ rateLimit: false, ...options });
    client = new QualysClient({ baseUrl: sim.url, auth: { kind: 'jwt', ...sim.credentials }, retry: { baseDelayMs: 5, maxDelayMs: 20, ...retry } });
    return { sim, client };
  };
}
