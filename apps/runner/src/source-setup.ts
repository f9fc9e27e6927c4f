import { QualysClient, registerCredentials, type Redactor, type Logger, type QualysAuth } from '@qcs-export/core';
import { readCaFile } from './ca-file.js';
import type { QualysSimulator } from '@qcs-export/qualys-simulator';
import { isSimulatorSource, type SourceConfig } from './config/schema.js';
import { settingNamesFor } from './setting-names.js';
import { toolVersion } from './version.js';

export interface PreparedSource {
  client: QualysClient;
  /** Shown in the summary and in outputs; never contains credentials. */
  label: string;
  /** The origin the client talks to. */
  baseUrl: string;
  close(): Promise<void>;
}

export function authOf(source: Exclude<SourceConfig, { simulator: unknown }>): QualysAuth {
  const a = source.auth as Record<string, unknown>;
  if ('token' in a) return { kind: 'token', token: String(a['token']) };
  if ('basic' in a) {
    const b = a['basic'] as { username: string; password: string };
    return { kind: 'basic', username: b.username, password: b.password };
  }
  return { kind: 'jwt', username: String(a['username']), password: String(a['password']) };
}

/** Registers every credential of the source with the redactor, so no log line or error can print it. */
export function registerSecrets(source: SourceConfig, redactor: Redactor): void {
  if (isSimulatorSource(source)) return;
  registerCredentials(redactor, authOf(source));
}

/** Connects to Qualys, or starts the embedded simulator on loopback and connects to that. */
export async function prepareSource(
  source: SourceConfig,
  logger: Logger,
  redact?: (text: string) => string,
  credentialOrigins: readonly string[] = [],
  /** A check, not an export: one retry at most, so a name that does not resolve or a refused connection fails in seconds. */
  check = false,
): Promise<PreparedSource> {
  const settingName = settingNamesFor(credentialOrigins);
  const userAgent = `qcs-export/${toolVersion}`;
  if (isSimulatorSource(source)) {
    const s = source.simulator;
    // Loaded only for a config that asks for it: a real export has no use for the simulator's code.
    const { startSimulator } = await import('@qcs-export/qualys-simulator');
    const sim: QualysSimulator = await startSimulator({
      images: s.images,
      ...(s.containers !== undefined ? { containers: s.containers } : {}),
      seed: s.seed,
      latencyMs: s.latencyMs,
      updatesDuringCrawl: s.updatesPerCall > 0 ? { everyRequests: 2, count: s.updatesPerCall } : false,
    });
    const client = new QualysClient({ baseUrl: sim.url, auth: { kind: 'jwt', ...sim.credentials }, logger, userAgent, redact, settingName });
    logger.info(`embedded Qualys simulator: ${s.images} images at ${sim.url}`);
    return {
      client,
      label: `simulator (${s.images} images, seed ${s.seed})`,
      baseUrl: sim.url,
      close: async () => {
        await client.close();
        await sim.close();
      },
    };
  }
  // Read before the client exists: a wrong file is a config error, reported before any connection is tried.
  const ca = source.tls?.caFile === undefined ? undefined : await readCaFile(source.tls.caFile, settingName('tlsCaFile'));
  const client = new QualysClient({
    baseUrl: source.baseUrl,
    auth: authOf(source),
    logger,
    userAgent,
    redact,
    // Messages name the config's settings (source.filter), not the client's options (filter).
    settingName,
    connectTimeoutMs: source.timeouts?.connectMs,
    headersTimeoutMs: source.timeouts?.headersMs,
    bodyTimeoutMs: source.timeouts?.bodyMs,
    requestTimeoutMs: source.timeouts?.requestMs,
    retry: check ? { maxRetries: Math.min(1, source.retries ?? 1) } : source.retries !== undefined ? { maxRetries: source.retries } : undefined,
    maxResponseBytes: source.maxResponseMiB === undefined ? undefined : source.maxResponseMiB * 1024 * 1024,
    ca,
  });
  return { client, label: new URL(source.baseUrl).origin, baseUrl: source.baseUrl, close: () => client.close() };
}
