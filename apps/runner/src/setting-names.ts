import type { QualysSetting } from '@qcs-export/core';

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
};

export function configSettingName(setting: QualysSetting): string {
  return CONFIG_PATHS[setting];
}
