import { jsonlSink } from './jsonl-sink.js';

export { createJsonlPlugin, jsonlSink, type JsonlSinkDeps } from './jsonl-sink.js';
export { jsonlOptions, type JsonlSinkOptions } from './options.js';
export default jsonlSink;
