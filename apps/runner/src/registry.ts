import type { SinkPlugin } from '@qcs-export/core';
import { csvSink } from '@qcs-export/sink-csv';
import { elasticsearchSink } from '@qcs-export/sink-elasticsearch';
import { excelSink } from '@qcs-export/sink-excel';
import { jsonlSink } from '@qcs-export/sink-jsonl';

/** Every sink the runner can use, by its config `type`. A new sink is one package and one line here. */
export const sinkPlugins: ReadonlyMap<string, SinkPlugin<any>> = new Map<string, SinkPlugin<any>>([
  [jsonlSink.type, jsonlSink],
  [csvSink.type, csvSink],
  [excelSink.type, excelSink],
  [elasticsearchSink.type, elasticsearchSink],
]);
