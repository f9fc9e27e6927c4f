import {
  AuthError,
  diagnoseContainers,
  diagnoseServer,
  ForbiddenError,
  QcsError,
  QualysClient,
  type AnySinkPlugin,
  type ContainerDiagnosis,
  type Diagnosis,
  type Logger,
} from '@qcs-export/core';
import type { Config } from './config/schema.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { listsRead } from './run/run-sinks.js';
import { prepareSource } from './source-setup.js';
import { toolVersion } from './version.js';

export interface DoctorOutcome {
  report:
    | (Diagnosis & { tool: string; source: string; filter: string | undefined; containers: ContainerDiagnosis & { filter: string | undefined } })
    | undefined;
  exitCode: number;
  /**
   * Why the subscription is unusable, when it is: the refused login or permission, or QCS_SOURCE_INCOMPLETE when no
   * strategy can export the filter completely. `exitCode` is its exit code.
   */
  error: QcsError | undefined;
}

/**
 * `qcs-export doctor`: logs in with the config's source and asks the server, read-only, what the strategies need
 * to know. Exit 0 when some strategy can export completely, 4 when the login or the CS permission fails, 1 when no
 * strategy can guarantee a complete export.
 */
export async function runDoctor(
  config: Config,
  plugins: ReadonlyMap<string, AnySinkPlugin>,
  logger: Logger,
  signal: AbortSignal,
  redact?: (text: string) => string,
): Promise<DoctorOutcome> {
  const prepared = await prepareSource(config.source, logger, redact, config.credentialOrigins);
  // A client whose token the server cannot know, to record the body of a 401 for bug reports; it is never retried.
  const stranger = new QualysClient({ baseUrl: prepared.baseUrl, auth: { kind: 'token', token: 'qcs-export-doctor-invalid-token' }, retry: { maxRetries: 0 } });
  try {
    const diagnosis = await diagnoseServer({
      client: prepared.client,
      filter: config.source.filter,
      request: { signal },
      unauthenticated: stranger,
      baseUrl: prepared.baseUrl,
      resultCap: config.source.resultCap,
    });
    const containerFilter = config.source.containers.filter.trim() || undefined;
    const containers = await diagnoseContainers({ client: prepared.client, filter: containerFilter, baseUrl: prepared.baseUrl, request: { signal } });
    const report = {
      tool: `qcs-export ${toolVersion}`,
      source: prepared.label,
      filter: config.source.filter,
      ...diagnosis,
      containers: { filter: containerFilter, ...containers },
    };
    // The containers count against the verdict only when a sink of this config writes them.
    const needsContainers = listsRead(config.sinks, plugins).containers;
    const problem = !diagnosis.usable
      ? diagnosis.count === undefined
        ? 'the server sends no count for /images, so no export can be checked for completeness'
        : `auto would use ${diagnosis.auto.strategy}, but ${diagnosis.bulk.detail}`
      : needsContainers && !containers.usable
        ? `this config writes containers, but ${
            containers.access.ok ? `no strategy can read them completely: ${containers.bulk.detail}` : containers.access.detail
          }`
        : undefined;
    // What a run of this config would fail with: it could not prove its export complete.
    const error = problem === undefined ? undefined : new QcsError('QCS_SOURCE_INCOMPLETE', problem);
    return { report, exitCode: error === undefined ? ExitCode.ok : exitCodeOf(error), error };
  } catch (error) {
    if (error instanceof AuthError || error instanceof ForbiddenError) return { report: undefined, exitCode: exitCodeOf(error), error };
    throw error;
  } finally {
    await stranger.close();
    await prepared.close();
  }
}

export function formatDiagnosis(d: NonNullable<DoctorOutcome['report']>): string {
  const mark = (ok: boolean) => (ok ? '✓' : '✗');
  const lines = [
    `${d.tool} doctor: ${d.source}${d.filter ? `, filter ${d.filter}` : ''}`,
    `${mark(d.access.ok)} access: ${d.access.detail}`,
    `  rate-limit headers, /images/**: ${formatHeaders(d.rateLimitHeaders.images)}`,
    `  rate-limit headers, /images/list: ${formatHeaders(d.rateLimitHeaders.list)}`,
    'query forms (counts the server should give, from a sorted sample):',
    ...d.forms.map((v) => `  ${mark(v.ok)} ${v.form}: ${v.detail}`),
    'sorts:',
    ...d.sorts.map((v) => `  ${mark(v.ok)} ${v.form}: ${v.detail}`),
    `past the 10,000 cap: ${d.pastCap}`,
    `${mark(d.bulk.ok)} bulk /images/list: ${d.bulk.detail}`,
    `  raw Link header: ${d.bulk.link ?? '(none)'}`,
    `401 body for an invalid token: ${d.unauthorized ?? '(not tried)'}`,
    `excepted findings on /vuln: ${d.exceptions.detail}` +
      (d.exceptions.listOmitsThem ? '; set source.vulnerabilities.includeClean: true to export the excepted findings of images listed clean' : ''),
    `auto would use: ${d.auto.strategy} (${d.auto.reason})`,
    `containers${d.containers.filter ? ` (filter ${d.containers.filter})` : ''}:`,
    `  ${mark(d.containers.access.ok)} access: ${d.containers.access.detail}`,
    ...(d.containers.access.ok
      ? [
          `  rate-limit headers, /containers/**: ${formatHeaders(d.containers.rateLimitHeaders.containers)}`,
          `  rate-limit headers, /containers/list: ${formatHeaders(d.containers.rateLimitHeaders['containers/list'])}`,
          ...d.containers.forms.map((v) => `  ${mark(v.ok)} ${v.form}: ${v.detail}`),
          `  ${mark(d.containers.bulk.ok)} bulk /containers/list: ${d.containers.bulk.detail}`,
          `  auto would use: ${d.containers.auto?.strategy ?? '?'} (${d.containers.auto?.reason ?? ''})`,
        ]
      : []),
    `${mark(d.usable)} ` +
      (d.usable ? 'usable: an export of this filter can be completed and checked' : 'NOT usable: no strategy can guarantee a complete export') +
      ` (${d.calls + d.containers.calls} API calls)`,
  ];
  return lines.join('\n');
}

function formatHeaders(h: Record<string, string>): string {
  const entries = Object.entries(h);
  return entries.length === 0 ? 'none seen' : entries.map(([k, v]) => `${k}: ${v}`).join(', ');
}
