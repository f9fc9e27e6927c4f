// The RunContext every bench case hands its sinks: this moment, no filter, the working directory, a silent logger.
import { silentLogger } from '@qcs-export/core';

export function benchRunContext(overrides = {}) {
  return {
    startedAt: new Date(),
    toolVersion: 'bench',
    sourceLabel: 'bench',
    filter: undefined,
    baseDir: process.cwd(),
    logger: silentLogger,
    signal: new AbortController().signal,
    ...overrides,
  };
}
