import { jsonlSink } from './plugin.js';

export { createJsonlSink, JsonlSink, type JsonlSinkDeps } from './jsonl-sink.js';
export { jsonlOptions, type JsonlSinkOptions } from './options.js';
export { createJsonlPlugin, jsonlSink } from './plugin.js';
export default jsonlSink;
