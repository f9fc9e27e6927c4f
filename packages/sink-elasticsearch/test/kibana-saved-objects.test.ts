import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ImageRecord, normalizeImage } from '@qcs-export/core';
import { slaFields } from '@qcs-export/core/sink';
import { startElasticsearchTestServer } from '@qcs-export/elasticsearch-testserver';
import { makeRunContext } from '@qcs-export/sink-testkit';
import { describe, expect, it } from 'vitest';
import { createElasticsearchSink, type ElasticsearchSinkOptions, elasticsearchSink } from '../src/index.js';
import { FINDING_PROPERTIES } from '../src/finding-mapping.js';
import { KIBANA_LATEST_ALIAS } from '../src/options.js';

/**
 * The Kibana saved objects shipped in examples/kibana/ (a data view, Lens panels, a saved search, a dashboard) are
 * imported as they are, so what Kibana would only find at import or render time is checked here: each line is a
 * saved object, every reference resolves inside the file, embedded JSON parses, and every field a panel, query, sort
 * or column names is one the findings mapping maps, with a type that fits its use. Renaming a field in
 * finding-mapping.ts without updating the dashboards fails here.
 */

const KIBANA_DIR = fileURLToPath(new URL('../../../examples/kibana/', import.meta.url));
const FILES = readdirSync(KIBANA_DIR)
  .filter((f) => f.endsWith('.ndjson'))
  .sort();

interface Reference {
  type: string;
  id: string;
  name: string;
}
interface SavedObject {
  type: string;
  id: string;
  attributes: Record<string, unknown>;
  references: Reference[];
  coreMigrationVersion?: unknown;
  typeMigrationVersion?: unknown;
}
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every path the findings mapping indexes, with its type, multi-fields included. */
function mappedFields(properties: Json, prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const [name, def] of Object.entries(properties)) {
    if (!isObject(def)) continue;
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (isObject(def['properties'])) mappedFields(def['properties'], path, out);
    // An `object` with `enabled: false` is kept in _source but not indexed: nothing can query or aggregate it.
    else if (typeof def['type'] === 'string' && def['type'] !== 'object') {
      out.set(path, def['type']);
      for (const [sub, subDef] of Object.entries(isObject(def['fields']) ? def['fields'] : {})) {
        if (isObject(subDef) && typeof subDef['type'] === 'string') out.set(`${path}.${sub}`, subDef['type']);
      }
    }
  }
  return out;
}
const MAPPED = mappedFields(FINDING_PROPERTIES);

/** The Lens column data type each mapping type yields; Lens flags a column whose dataType disagrees with its field. */
const LENS_DATA_TYPE: Record<string, string> = {
  keyword: 'string',
  date: 'date',
  boolean: 'boolean',
  integer: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  scaled_float: 'number',
};

/** A file's lines as saved objects; throws naming the line that is not one. */
function parseSavedObjects(text: string, file: string): SavedObject[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, n }) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw new Error(`${file}:${n} is not JSON: ${(e as Error).message}`);
      }
      if (!isObject(value) || typeof value['type'] !== 'string' || typeof value['id'] !== 'string' || !isObject(value['attributes'])) {
        throw new Error(`${file}:${n} is not a saved object: it needs a string type and id and an attributes object`);
      }
      const references = value['references'] ?? [];
      const valid = Array.isArray(references) && references.every((r) => isObject(r) && ['type', 'id', 'name'].every((k) => typeof r[k] === 'string'));
      if (!valid) throw new Error(`${file}:${n}: references must be a list of { type, id, name } strings`);
      return { ...(value as unknown as SavedObject), references: references as Reference[] };
    });
}

/** The object with every embedded JSON string (panelsJSON, searchSourceJSON, a data view's fields…) parsed. */
function decoded(object: SavedObject): Json {
  // A data view keeps these as JSON strings without the JSON suffix.
  const dataViewStrings = new Set(['fields', 'fieldFormatMap', 'fieldAttrs', 'sourceFilters', 'runtimeFieldMap', 'typeMeta']);
  const walk = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => walk(v, `${path}[${i}]`));
    if (!isObject(value)) return value;
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      const embedded = typeof v === 'string' && (k.endsWith('JSON') || (object.type === 'index-pattern' && path === 'attributes' && dataViewStrings.has(k)));
      if (!embedded) {
        out[k] = walk(v, `${path}.${k}`);
        continue;
      }
      try {
        out[k] = walk(JSON.parse(v as string), `${path}.${k}`);
      } catch (e) {
        throw new Error(`${object.type} ${object.id}: ${path}.${k} is not JSON: ${(e as Error).message}`);
      }
    }
    return out;
  };
  return walk({ attributes: object.attributes }, '') as Json;
}

type Use = 'query' | 'aggregate' | 'show' | 'sort' | 'time';
interface FieldUse {
  field: string;
  use: Use;
  where: string;
  dataType?: string;
}

/**
 * The fields of a KQL query: each name before `:`, `<`, `<=`, `>` or `>=` outside quoted values. Free text (no
 * field) searches every field and names none.
 */
function kqlFields(query: string): string[] {
  const unquoted = query.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...unquoted.matchAll(/(?:^|[\s(])([^\s():<>"]+)\s*(?::|<=|>=|<|>)/g)].map((m) => m[1] as string);
}

/** Field names in a query DSL filter (the `query` of a pinned filter): the keys under its leaf clauses. */
function dslFields(query: Json): string[] {
  const names: string[] = [];
  for (const [clause, body] of Object.entries(query)) {
    if (!isObject(body)) continue;
    if (clause === 'exists' && typeof body['field'] === 'string') names.push(body['field']);
    else if (['match', 'match_phrase', 'term', 'terms', 'range', 'prefix', 'wildcard'].includes(clause)) names.push(...Object.keys(body));
    else if (clause === 'bool') {
      for (const list of Object.values(body)) for (const q of Array.isArray(list) ? list : [list]) if (isObject(q)) names.push(...dslFields(q));
    }
  }
  return names;
}

/** Every field an object names, found by walking its decoded JSON; throws on a form the walk cannot read. */
function fieldUses(object: SavedObject): FieldUse[] {
  const uses: FieldUse[] = [];
  const label = `${object.type} ${object.id}`;
  const walk = (value: unknown, where: string): void => {
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, `${where}[${i}]`);
      return;
    }
    if (!isObject(value)) return;
    if (value['operationType'] === 'formula') throw new Error(`${label}: ${where} is a formula column; read its fields here before using one`);
    if (typeof value['operationType'] === 'string' && typeof value['sourceField'] === 'string' && value['sourceField'] !== '___records___') {
      const dataType = typeof value['dataType'] === 'string' ? value['dataType'] : undefined;
      uses.push({ field: value['sourceField'], use: 'aggregate', where: `${where}.sourceField`, ...(dataType ? { dataType } : {}) });
    }
    for (const key of ['sortField', 'fieldName', 'breakdownField']) {
      if (typeof value[key] === 'string') uses.push({ field: value[key] as string, use: 'aggregate', where: `${where}.${key}` });
    }
    if (typeof value['query'] === 'string' && typeof value['language'] === 'string') {
      if (value['language'] !== 'kuery' && value['query'].trim() !== '') {
        throw new Error(`${label}: ${where} is a ${value['language']} query; only KQL queries are read for their fields`);
      }
      for (const field of kqlFields(value['query'])) uses.push({ field, use: 'query', where: `${where}.query` });
    }
    if (isObject(value['meta']) && typeof value['meta']['key'] === 'string')
      uses.push({ field: value['meta']['key'], use: 'query', where: `${where}.meta.key` });
    if (isObject(value['meta']) && isObject(value['query'])) {
      for (const field of dslFields(value['query'])) uses.push({ field, use: 'query', where: `${where}.query` });
    }
    for (const [k, v] of Object.entries(value)) walk(v, `${where}.${k}`);
  };
  const doc = decoded(object);
  walk(doc, label);
  const attributes = doc['attributes'] as Json;
  if (object.type === 'search') {
    const columns = Array.isArray(attributes['columns']) ? attributes['columns'] : [];
    for (const [i, c] of columns.entries()) uses.push({ field: String(c), use: 'show', where: `${label}.attributes.columns[${i}]` });
    const sort = Array.isArray(attributes['sort']) ? attributes['sort'] : [];
    for (const [i, s] of sort.entries()) uses.push({ field: String(Array.isArray(s) ? s[0] : s), use: 'sort', where: `${label}.attributes.sort[${i}]` });
  }
  if (object.type === 'index-pattern') {
    if (typeof attributes['timeFieldName'] === 'string') uses.push({ field: attributes['timeFieldName'], use: 'time', where: `${label}.timeFieldName` });
    if (isObject(attributes['runtimeFieldMap']) && Object.keys(attributes['runtimeFieldMap']).length > 0) {
      throw new Error(`${label}: runtime fields are not in the mapping; check them here before shipping one`);
    }
    const listed = Array.isArray(attributes['fields']) ? attributes['fields'].map((f) => (isObject(f) ? String(f['name']) : String(f))) : [];
    for (const key of ['fieldAttrs', 'fieldFormatMap']) listed.push(...Object.keys(isObject(attributes[key]) ? attributes[key] : {}));
    for (const field of listed) uses.push({ field, use: 'show', where: `${label}.attributes` });
  }
  return uses;
}

/** What Kibana or Elasticsearch would refuse about the fields objects name, one line each; empty when all fit. */
function fieldProblems(objects: SavedObject[]): string[] {
  const problems: string[] = [];
  for (const { field, use, where, dataType } of objects.flatMap(fieldUses)) {
    const type = MAPPED.get(field);
    if (type === undefined) problems.push(`${where}: ${field} is not in FINDING_PROPERTIES`);
    else if (use === 'time' && type !== 'date') problems.push(`${where}: the time field ${field} is a ${type}, not a date`);
    // Elasticsearch aggregates and sorts only fields with doc values: a text field fails the request.
    else if ((use === 'aggregate' || use === 'sort') && type === 'text')
      problems.push(`${where}: ${field} is text, which Elasticsearch cannot ${use === 'sort' ? 'sort' : 'aggregate'} on; use a keyword field`);
    else if (dataType !== undefined && LENS_DATA_TYPE[type] !== dataType) problems.push(`${where}: ${field} is a ${type}, the column says ${dataType}`);
  }
  return problems;
}

/** a.b.c version order; the versions here are plain numbers. */
const versionAtMost = (v: string, max: string) => {
  const [a, b] = [v.split('.').map(Number), max.split('.').map(Number)];
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return true;
};

/** The by-value Lens layers of a dashboard panel: each layer id with its column ids. */
function lensLayers(panel: Json): Map<string, Set<string>> {
  const state =
    isObject(panel['embeddableConfig']) && isObject(panel['embeddableConfig']['attributes']) ? panel['embeddableConfig']['attributes']['state'] : undefined;
  const layers =
    isObject(state) && isObject(state['datasourceStates']) && isObject(state['datasourceStates']['formBased'])
      ? state['datasourceStates']['formBased']['layers']
      : {};
  return new Map(
    Object.entries(isObject(layers) ? layers : {}).map(([id, layer]) => [
      id,
      new Set(Object.keys(isObject(layer) && isObject(layer['columns']) ? layer['columns'] : {})),
    ]),
  );
}

/** Column ids a Lens visualization points at (metric, accessors, groups, x and split), by key wherever they are. */
function accessorIds(visualization: unknown, out: string[] = []): string[] {
  if (Array.isArray(visualization)) for (const v of visualization) accessorIds(v, out);
  else if (isObject(visualization)) {
    for (const [k, v] of Object.entries(visualization)) {
      if (['metricAccessor', 'accessor', 'xAccessor', 'splitAccessor', 'columnId'].includes(k) && typeof v === 'string') out.push(v);
      else if (['accessors', 'primaryGroups', 'secondaryGroups', 'metrics'].includes(k) && Array.isArray(v))
        out.push(...v.filter((x) => typeof x === 'string'));
      else accessorIds(v, out);
    }
  }
  return out;
}

/** What a dashboard's panels need that its references or layout do not give, one line each. */
function panelProblems(dashboard: SavedObject): string[] {
  const problems: string[] = [];
  const panels = (decoded(dashboard)['attributes'] as Json)['panelsJSON'];
  if (!Array.isArray(panels)) return [`${dashboard.id}: panelsJSON is not a list`];
  const refNames = new Map(dashboard.references.map((r) => [r.name, r]));
  const seen = new Set<string>();
  const boxes: Array<{ x: number; y: number; w: number; h: number; id: string }> = [];
  for (const panel of panels as Json[]) {
    const id = String(panel['panelIndex']);
    // Kibana keys a panel's references by `<panelIndex>:<name>` and splits on the first colon.
    if (seen.has(id) || id.includes(':')) problems.push(`panel ${id}: panelIndex must be unique and without ':'`);
    seen.add(id);
    const grid = isObject(panel['gridData']) ? panel['gridData'] : {};
    const [x, y, w, h] = ['x', 'y', 'w', 'h'].map((k) => Number(grid[k])) as [number, number, number, number];
    if (grid['i'] !== id) problems.push(`panel ${id}: gridData.i must equal its panelIndex`);
    if (!(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 48)) problems.push(`panel ${id}: gridData must fit the 48-column grid`);
    for (const b of boxes) if (x < b.x + b.w && b.x < x + w && y < b.y + b.h && b.y < y + h) problems.push(`panel ${id} overlaps panel ${b.id}`);
    boxes.push({ x, y, w, h, id });
    if (typeof panel['panelRefName'] === 'string') {
      const ref = refNames.get(`${id}:${panel['panelRefName']}`);
      if (ref === undefined || ref.type !== panel['type'])
        problems.push(`panel ${id}: no ${String(panel['type'])} reference named ${id}:${panel['panelRefName']}`);
    }
    if (panel['type'] !== 'lens' || typeof panel['panelRefName'] === 'string') continue;
    const attributes = isObject(panel['embeddableConfig']) ? panel['embeddableConfig']['attributes'] : undefined;
    const state = isObject(attributes) ? attributes['state'] : undefined;
    if (!isObject(state)) {
      problems.push(`panel ${id}: a Lens panel by value needs embeddableConfig.attributes.state`);
      continue;
    }
    const layers = lensLayers(panel);
    if (layers.size === 0) problems.push(`panel ${id}: no formBased layer`);
    const columns = new Set([...layers.values()].flatMap((c) => [...c]));
    for (const [layerId, layerColumns] of layers) {
      const ref = refNames.get(`${id}:indexpattern-datasource-layer-${layerId}`);
      if (ref === undefined || ref.type !== 'index-pattern') problems.push(`panel ${id}: layer ${layerId} has no data view reference`);
      const layer = ((state['datasourceStates'] as Json)['formBased'] as Json)['layers'] as Record<string, Json>;
      const order = layer[layerId]?.['columnOrder'];
      if (!Array.isArray(order) || order.length !== layerColumns.size || !order.every((c) => layerColumns.has(c))) {
        problems.push(`panel ${id}: layer ${layerId} columnOrder must list its columns`);
      }
    }
    for (const accessor of accessorIds(state['visualization']))
      if (!columns.has(accessor)) problems.push(`panel ${id}: the visualization names no column ${accessor}`);
    // A terms column ordered by a metric names that metric's column id (params.orderBy.columnId).
    for (const accessor of accessorIds(state['datasourceStates'])) {
      if (!columns.has(accessor)) problems.push(`panel ${id}: a column orders by a column ${accessor} that does not exist`);
    }
  }
  return problems;
}

// The attributes Kibana's saved-object schemas accept (dashboard: unknowns forbidden since its model version 1;
// search: its 8.8.0 schema). An attribute outside them makes the import fail.
const ACCEPTED_ATTRIBUTES: Record<string, readonly string[]> = {
  dashboard: [
    'title',
    'description',
    'kibanaSavedObjectMeta',
    'timeRestore',
    'timeFrom',
    'timeTo',
    'refreshInterval',
    'controlGroupInput',
    'panelsJSON',
    'optionsJSON',
    'hits',
    'version',
  ],
  search: [
    'title',
    'description',
    'columns',
    'sort',
    'grid',
    'rowHeight',
    'rowsPerPage',
    'hideChart',
    'breakdownField',
    'kibanaSavedObjectMeta',
    'isTextBasedQuery',
    'usesAdHocDataView',
    'timeRestore',
    'timeRange',
    'refreshInterval',
    'viewMode',
    'hideAggregatedPreview',
    'hits',
    'version',
  ],
};

/** A file's lines as text and as objects. */
const load = (file: string) => {
  const text = readFileSync(`${KIBANA_DIR}${file}`, 'utf8');
  return { text, objects: parseSavedObjects(text, file) };
};

describe('Kibana saved objects in examples/kibana', () => {
  it('ships the findings dashboard', () => {
    expect(FILES).toContain('qcs-export-findings.ndjson');
  });

  describe.each(FILES)('%s', (file) => {
    it('is one saved object per line: JSON with a type, an id and attributes, each type and id once', () => {
      const { text, objects } = load(file);
      expect(text.endsWith('\n')).toBe(true);
      expect(objects.length).toBeGreaterThan(0);
      const keys = objects.map((o) => `${o.type}/${o.id}`);
      expect(new Set(keys).size).toBe(keys.length);
    });

    it('declares migration versions that Kibana 8.16 and later import, running every migration since', () => {
      // A typeMigrationVersion Kibana does not know yet is refused as "from a newer version"; one below the model
      // versions (10.x) every 8.16+ Kibana knows, so it migrates the object from there.
      for (const o of load(file).objects) {
        expect(o.coreMigrationVersion, `${o.type} ${o.id}`).toBe('8.8.0');
        expect(typeof o.typeMigrationVersion, `${o.type} ${o.id}`).toBe('string');
        expect(versionAtMost(String(o.typeMigrationVersion), '8.9.0'), `${o.type} ${o.id}: ${String(o.typeMigrationVersion)}`).toBe(true);
      }
    });

    it('has every reference point at an object in the same file', () => {
      const { objects } = load(file);
      const present = new Set(objects.map((o) => `${o.type}/${o.id}`));
      const dangling = objects.flatMap((o) => o.references.filter((r) => !present.has(`${r.type}/${r.id}`)).map((r) => `${o.id} → ${r.type}/${r.id}`));
      expect(dangling).toEqual([]);
      for (const o of objects) expect(new Set(o.references.map((r) => r.name)).size, `${o.id}: reference names`).toBe(o.references.length);
    });

    it('has embedded JSON that parses, a search source that names its data view reference, and attributes Kibana accepts', () => {
      for (const o of load(file).objects) {
        const attributes = decoded(o)['attributes'] as Json;
        const meta = attributes['kibanaSavedObjectMeta'];
        const source = isObject(meta) ? meta['searchSourceJSON'] : undefined;
        if (isObject(source) && typeof source['indexRefName'] === 'string') {
          expect(
            o.references.some((r) => r.name === source['indexRefName'] && r.type === 'index-pattern'),
            `${o.id}: ${source['indexRefName']}`,
          ).toBe(true);
        }
        const accepted = ACCEPTED_ATTRIBUTES[o.type];
        if (accepted)
          expect(
            Object.keys(o.attributes).filter((k) => !accepted.includes(k)),
            `${o.type} ${o.id}`,
          ).toEqual([]);
      }
    });

    it('gives every dashboard panel its references and a place on the grid, and every Lens accessor a column', () => {
      const dashboards = load(file).objects.filter((o) => o.type === 'dashboard');
      expect(dashboards.flatMap(panelProblems)).toEqual([]);
    });

    it('names only fields the findings mapping maps, each with a type that fits its use', () => {
      const { objects } = load(file);
      expect(objects.flatMap(fieldUses).length).toBeGreaterThan(0);
      expect(fieldProblems(objects)).toEqual([]);
    });

    it('catches a renamed field wherever the file names it', () => {
      // Each mapped name the file holds, renamed at one place at a time, must come back as a problem: a place the
      // walk does not read would let a renamed field through.
      const { text } = load(file);
      let renamed = 0;
      for (const field of MAPPED.keys()) {
        const at = new RegExp(`(?<![\\w.@])${field.replace(/[.@]/g, '\\$&')}(?!\\w)`, 'g');
        for (const match of text.matchAll(at)) {
          const index = match.index;
          const mutated = `${text.slice(0, index)}${field}_renamed${text.slice(index + field.length)}`;
          const problems = fieldProblems(parseSavedObjects(mutated, file));
          expect(
            problems.some((p) => p.includes(`${field}_renamed`)),
            `${field} at offset ${index}: ${text.slice(Math.max(0, index - 60), index + field.length + 20)}`,
          ).toBe(true);
          renamed++;
        }
      }
      expect(renamed).toBeGreaterThan(0);
    });
  });

  it('qcs-export-findings.ndjson: a data view where the kibana: true export writes, and the panels the README describes', () => {
    const { objects } = load('qcs-export-findings.ndjson');
    const dataViews = objects.filter((o) => o.type === 'index-pattern');
    // The alias `kibana: true` writes, which Kibana's findings page reads too.
    expect(dataViews.map((o) => [o.attributes['title'], o.attributes['timeFieldName']])).toEqual([[KIBANA_LATEST_ALIAS, '@timestamp']]);
    const uses = objects.flatMap(fieldUses);
    const named = (use: Use) => new Set(uses.filter((u) => u.use === use).map((u) => u.field));
    expect([...named('aggregate')].sort()).toEqual(['qualys_cs.sla_status', 'resource.name', 'vulnerability.severity']);
    expect([...named('query')].sort()).toEqual(['qualys_cs.image_in_use', 'qualys_cs.sla_status']);
    expect([...named('sort')]).toEqual(['qualys_cs.days_overdue']);
    expect([...named('show')]).toEqual([
      'resource.name',
      'vulnerability.id',
      'vulnerability.title',
      'vulnerability.severity',
      'qualys_cs.days_overdue',
      'qualys_cs.sla_due_at',
    ]);
    const search = objects.find((o) => o.type === 'search');
    const source = isObject(search) ? ((decoded(search)['attributes'] as Json)['kibanaSavedObjectMeta'] as Json)['searchSourceJSON'] : undefined;
    // The overdue table is the findings past their due date, by the status core's SLA fields give them.
    const overdue = slaFields(5, '2020-01-01T00:00:00.000Z', new Date('2021-01-01T00:00:00.000Z')).slaStatus;
    expect(isObject(source) && source['query']).toEqual({ query: `qualys_cs.sla_status : "${overdue}"`, language: 'kuery' });
  });
});

const DAY = 86_400_000;
const STARTED = new Date('2026-11-22T10:30:00.000Z');

/** Images with findings of every kind the panels split by: each severity, SLA breached, within and unknown, in use or not. */
function imagesWithFindings(): ImageRecord[] {
  return [0, 1, 2, 3].map((i) =>
    normalizeImage(
      {
        sha: i.toString(16).padStart(64, 'b'),
        repo: i === 3 ? [] : [{ registry: 'docker.io', repository: `team/svc-${i}`, tag: `v${i}` }],
        associatedContainersCount: i % 2,
        vulnerabilities: [
          {
            qid: 300 + i,
            severity: 5 - i,
            title: `Finding ${i}`,
            cveids: [`CVE-2025-${1000 + i}`],
            firstFound: String(STARTED.getTime() - 60 * DAY),
            software: [{ name: 'openssl', version: '3.0.1', fixVersion: '3.0.13' }],
          },
          { qid: 400 + i, severity: 1, title: `Minor ${i}`, firstFound: String(STARTED.getTime() - 2 * DAY), software: [] },
          { qid: 500 + i, title: `Unrated ${i}`, software: [] },
        ],
      },
      'images/details',
    ),
  );
}

/** The values at a dotted path of a document, through arrays; empty when the document has none. */
function valuesAt(doc: unknown, path: string): unknown[] {
  let current: unknown[] = [doc];
  for (const segment of path.split('.')) {
    current = current.flatMap((v) => (isObject(v) ? [v[segment]] : [])).flatMap((v) => (Array.isArray(v) ? v : [v]));
  }
  return current.filter((v) => v !== null && v !== undefined && v !== '');
}

/** The `field : value` clauses of a KQL query, the form the shipped queries use, with the value unquoted. */
function kqlClauses(query: string): Array<[field: string, value: string]> {
  return [...query.matchAll(/([^\s():<>"]+)\s*:\s*("(?:[^"\\]|\\.)*"|[^\s()]+)/g)].map((m) => [m[1] as string, (m[2] as string).replace(/^"(.*)"$/, '$1')]);
}

describe('the shipped dashboards over what a kibana: true export writes (loopback Elasticsearch)', () => {
  it('finds a value for every field they name and a document for every field : value they filter on', async () => {
    const server = await startElasticsearchTestServer();
    const dir = await mkdtemp(join(tmpdir(), 'qcs-kibana-objects-'));
    try {
      const options = elasticsearchSink.options.parse({ node: server.url, records: 'findings', kibana: true });
      const sink = createElasticsearchSink(options as ElasticsearchSinkOptions, makeRunContext({ baseDir: dir, startedAt: STARTED }));
      await sink.open();
      await sink.write(imagesWithFindings());
      await sink.close();
      const docs = [...server.documents(KIBANA_LATEST_ALIAS).values()].map((d) => d._source);
      expect(docs.length).toBeGreaterThan(0);

      const objects = FILES.flatMap((file) => load(file).objects);
      const empty = [...new Set(objects.flatMap(fieldUses).map((u) => u.field))].filter((f) => !docs.some((d) => valuesAt(d, f).length > 0));
      expect(empty, 'fields no exported document has a value for').toEqual([]);

      const queries: string[] = [];
      const collect = (v: unknown): void => {
        if (Array.isArray(v)) for (const x of v) collect(x);
        else if (isObject(v)) {
          if (typeof v['query'] === 'string' && v['language'] === 'kuery') queries.push(v['query']);
          for (const x of Object.values(v)) collect(x);
        }
      };
      for (const o of objects) collect(decoded(o));
      const clauses = queries.flatMap(kqlClauses);
      expect(clauses.length).toBeGreaterThan(0);
      const unmatched = clauses.filter(([field, value]) => !docs.some((d) => valuesAt(d, field).some((v) => String(v) === value)));
      expect(unmatched, 'field : value filters no exported document matches').toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await server.close();
    }
  });
});
