import type { QualysSetting, SourceAdvice } from '@qcs-export/core';

/**
 * Where each setting core's errors point at lives in the config file. Core names a setting by its option
 * (error.setting, e.g. 'baseUrl'); the client writes this name into the messages the user sees instead
 * (QualysClientOptions.settingName), so "check baseUrl" reads "check source.baseUrl".
 */
const CONFIG_PATHS: Readonly<Record<QualysSetting, string>> = {
  baseUrl: 'source.baseUrl',
  auth: 'source.auth',
  timeouts: 'source.timeouts',
  requestTimeoutMs: 'source.timeouts.requestMs',
  filter: 'source.filter',
  pageSize: 'source.pageSize',
  concurrency: 'source.concurrency',
  maxResponseBytes: 'source.maxResponseMiB',
  tlsCaFile: 'source.tls.caFile',
};

/** The config path of each setting, with the credentials named where this config reads them: "source.auth, from $MY_PASS". */
export function settingNamesFor(credentialOrigins: readonly string[] = []): (setting: QualysSetting) => string {
  const auth = credentialOrigins.length === 0 ? CONFIG_PATHS.auth : `${CONFIG_PATHS.auth}, from ${credentialOrigins.join(' and ')}`;
  return (setting) => (setting === 'auth' ? auth : CONFIG_PATHS[setting]);
}

/** How the source's messages name what to do, in this CLI's terms (source.strategy, qcs-export doctor). */
export const CLI_SOURCE_ADVICE: SourceAdvice = {
  useStrategy: (strategies) => `source.strategy: ${strategies}`,
  diagnosis: 'qcs-export doctor',
};
