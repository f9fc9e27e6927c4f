import type { AnySinkPlugin } from '@qcs-export/core';
import { csvSink } from '@qcs-export/sink-csv/plugin';
import { elasticsearchSink } from '@qcs-export/sink-elasticsearch/plugin';
import { excelSink } from '@qcs-export/sink-excel/plugin';
import { jsonlSink } from '@qcs-export/sink-jsonl/plugin';

/**
 * Every sink the runner can use, by its config `type`. A new sink is one package and one line here. Each entry is the
 * package's light `plugin` module (schema, outputs, checks); a sink's libraries load only when a run opens it.
 */
export const sinkPlugins: ReadonlyMap<string, AnySinkPlugin> = new Map<string, AnySinkPlugin>([
  [jsonlSink.type, jsonlSink],
  [csvSink.type, csvSink],
  [excelSink.type, excelSink],
  [elasticsearchSink.type, elasticsearchSink],
]);
