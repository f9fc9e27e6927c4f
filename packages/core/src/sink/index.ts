export {
  AtomicFileWriter,
  checkPublishable,
  checkWritable,
  processIsAlive,
  removeLiveTempFilesSync,
  sweepStaleTempFiles,
  type AtomicFileOptions,
  type FilePublished,
  type StaleTempFiles,
} from './atomic-file.js';
export { resolveOutputPath } from './output-path.js';
export { deferredSink } from './deferred-sink.js';
export { LifecycleSink } from './lifecycle.js';
export { fileModeOption } from './file-options.js';
export { deltaFileSupport } from './delta-file.js';
