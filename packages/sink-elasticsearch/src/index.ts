import { elasticsearchSink } from './plugin.js';

export { elasticsearchSink } from './plugin.js';
export { createElasticsearchSink, type ElasticsearchSinkInternals } from './elasticsearch-sink.js';
export { IMAGE_PROPERTIES, imageTemplate } from './mapping.js';
export { elasticsearchOptions, type ElasticsearchSinkOptions } from './options.js';
export { templateNameOf } from './template.js';
export default elasticsearchSink;
