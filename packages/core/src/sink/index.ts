export { AtomicFileWriter, checkWritable, type AtomicFileOptions } from './atomic-file.js';
export { resolveOutputPath } from './output-path.js';
