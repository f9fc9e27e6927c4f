export { AtomicFileWriter, type AtomicFileOptions, type FilePublished } from './atomic-file.js';
export { checkPublishable, checkWritable } from './path-checks.js';
export { processIsAlive, removeLiveTempFilesSync, sweepStaleTempFiles, type StaleTempFiles } from './temp-files.js';
export { outputPathFor, resolveOutputPath, resolveUserPath } from './output-path.js';
export { deferredSink } from './deferred-sink.js';
export { LifecycleSink } from './lifecycle.js';
export { fileModeOption } from './file-options.js';
export { deltaFileSupport } from './delta-file.js';
