import { csvSink } from './csv-sink.js';

export { csvSink } from './csv-sink.js';
export { csvOptions, type CsvSinkOptions } from './options.js';
export default csvSink;
