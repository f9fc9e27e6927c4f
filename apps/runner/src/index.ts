export { loadConfig, parseConfig } from './config/load.js';
export { configJsonSchema } from './config/json-schema.js';
export { ExitCode, exitCodeByErrorCode, exitCodeOf } from './exit-codes.js';
export type { Config, SinkConfig, SourceConfig } from './config/schema.js';
export { sinkPlugins } from './registry.js';
export { runExport, type ReadPlan, type RunDeps, type RunResult } from './run/export.js';
export { formatSummary } from './summary.js';
