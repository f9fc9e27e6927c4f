import { csvSink } from './plugin.js';

export { csvSink } from './plugin.js';
export { createCsvSink } from './csv-sink.js';
export { csvOptions, type CsvSinkOptions } from './options.js';
export default csvSink;
