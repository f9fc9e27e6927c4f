import { randomBytes } from 'node:crypto';
import type { AliasProps, IndexState } from './es-index-state.js';
import { aliasNamesAnIndex, checkWriteIndices, parseAliasProps, validateAliasName, writeIndexOf } from './es-aliases.js';
import { EsError } from './es-errors.js';
import { glob, resolveExpression } from './es-expressions.js';
import { mergeMappings, validateMappings } from './es-mapping-rules.js';
import type { FieldMapping } from './es-mappings.js';

export type { IndexState, StoredDoc } from './es-index-state.js';

export interface IndexTemplate {
  index_patterns: string | string[];
  priority?: number;
  data_stream?: Record<string, unknown>;
  template?: { mappings?: FieldMapping; settings?: unknown; aliases?: unknown };
  composed_of?: string[];
  _meta?: Record<string, unknown>;
  [key: string]: unknown;
}

const TEMPLATE_KEYS = new Set([
  'index_patterns',
  'template',
  'composed_of',
  'priority',
  'version',
  '_meta',
  'data_stream',
  'allow_auto_create',
  'ignore_missing_component_templates',
  'deprecated',
]);

export { glob };

const patternsOf = (t: IndexTemplate) => (Array.isArray(t.index_patterns) ? t.index_patterns : [t.index_patterns]);

/**
 * Whether two `*` patterns match at least one common name, as Elasticsearch decides it (an automaton
 * intersection): `a*` and `*b` overlap on `ab` although neither pattern matches the other.
 */
export function patternsOverlap(a: string, b: string): boolean {
  const seen = new Map<number, boolean>();
  const from = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = seen.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (a[i] === '*') result = from(i + 1, j) || (j < b.length && from(i, j + 1));
    else if (b[j] === '*') result = from(i, j + 1) || (i < a.length && from(i + 1, j));
    else result = i < a.length && j < b.length && a[i] === b[j] && from(i + 1, j + 1);
    seen.set(key, result);
    return result;
  };
  return from(0, 0);
}

/** What creating an index of some name would give it: the template that applies (if any), and the mappings. */
export interface SimulatedIndex {
  templateName: string | undefined;
  template: IndexTemplate | undefined;
  dataStream: boolean;
  mappings: FieldMapping;
}

/** Refuses a name Elasticsearch refuses for an index or data stream, so a sink's bad index option fails in tests too. */
export function validateIndexName(name: string): void {
  const fail = (why: string) => new EsError(400, 'invalid_index_name_exception', `Invalid index name [${name}], ${why}`, { index_uuid: '_na_', index: name });
  if (name !== name.toLowerCase()) throw fail('must be lowercase');
  if (/^[_\-+]/.test(name)) throw fail(`must not start with '_', '-', or '+'`);
  if (name === '.' || name === '..') throw fail(`must not be '.' or '..'`);
  if (/[\\/*?"<>| ,#:]/.test(name)) throw fail('must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?, #, :]');
  if (Buffer.byteLength(name) > 255) throw fail('index name is too long');
}

/** Indices, data streams and templates, kept in memory so tests can compare what arrived with what was sent. */
export class Store {
  readonly indices = new Map<string, IndexState>();
  readonly templates = new Map<string, IndexTemplate>();
  /** Ingest pipelines by id, as PUT _ingest/pipeline/{id} stored them (not run, but for an unconditional drop: see es-routes-bulk.ts). */
  readonly pipelines = new Map<string, Record<string, unknown>>();

  /** Stores a composable index template after the checks `PUT _index_template` makes. */
  putTemplate(name: string, body: IndexTemplate, createOnly: boolean): void {
    if (createOnly && this.templates.has(name)) throw new EsError(400, 'illegal_argument_exception', `index template [${name}] already exists`);
    const unknown = Object.keys(body).find((k) => !TEMPLATE_KEYS.has(k));
    if (unknown) throw new EsError(400, 'x_content_parse_exception', `[1:2] [index_template] unknown field [${unknown}]`);
    if (body.index_patterns === undefined || patternsOf(body).length === 0)
      throw new EsError(400, 'action_request_validation_exception', 'Validation Failed: 1: index patterns are missing;');
    // This server has no component templates, so any named one is missing, as on a cluster that lacks it.
    if (body.composed_of?.length)
      throw new EsError(
        400,
        'invalid_index_template_exception',
        `index_template [${name}] invalid, ` +
          `cause [index template [${name}] specifies component templates ${JSON.stringify(body.composed_of)} that do not exist]`,
      );
    validateMappings(body.template?.mappings);
    const priority = body.priority ?? 0;
    for (const [other, existing] of this.templates) {
      if (other === name || (existing.priority ?? 0) !== priority) continue;
      const overlap = patternsOf(body).filter((p) => patternsOf(existing).some((q) => patternsOverlap(p, q)));
      if (overlap.length > 0) {
        throw new EsError(
          400,
          'illegal_argument_exception',
          `index template [${name}] has index patterns ${JSON.stringify(patternsOf(body))} matching patterns from existing templates [${other}] ` +
            `with patterns (${other} => ${JSON.stringify(patternsOf(existing))}) that have the same priority [${priority}], ` +
            'multiple index templates may not match during index creation, please use a different priority',
        );
      }
    }
    this.templates.set(name, body);
  }

  /** The template Elasticsearch would apply to a new index of this name: the matching one of highest priority. */
  templateFor(name: string): [string, IndexTemplate] | undefined {
    let best: [string, IndexTemplate] | undefined;
    for (const entry of this.templates) {
      if (!patternsOf(entry[1]).some((p) => glob(p).test(name))) continue;
      if (!best || (entry[1].priority ?? 0) > (best[1].priority ?? 0)) best = entry;
    }
    return best;
  }

  /**
   * Templates whose patterns overlap those of `winner`, other than the winner itself, whatever their priority:
   * what `_simulate_index` lists as `overlapping`. A template that lost to the winner for a name is always here.
   */
  overlapping(winner: string): Array<{ name: string; index_patterns: string[] }> {
    const chosen = this.templates.get(winner);
    if (!chosen) return [];
    return [...this.templates]
      .filter(([name, t]) => name !== winner && patternsOf(t).some((p) => patternsOf(chosen).some((q) => patternsOverlap(p, q))))
      .map(([name, t]) => ({ name, index_patterns: patternsOf(t) }));
  }

  /** The template and mappings a new index of this name would get now; an existing index keeps the mappings it has. */
  simulate(name: string, extra: FieldMapping = {}): SimulatedIndex {
    const [templateName, template] = this.templateFor(name) ?? [];
    const dataStream = template?.data_stream !== undefined;
    return { templateName, template, dataStream, mappings: this.simulateTemplate(template, extra) };
  }

  /** The mappings a template gives an index, under `extra`. */
  simulateTemplate(template: IndexTemplate | undefined, extra: FieldMapping = {}): FieldMapping {
    const mappings = mergeMappings(structuredClone(template?.template?.mappings ?? {}), extra);
    // A data stream's backing index always maps its timestamp as a date, whatever the template says.
    if (template?.data_stream !== undefined)
      mappings.properties = { ...mappings.properties, '@timestamp': mappings.properties?.['@timestamp'] ?? { type: 'date' } };
    return mappings;
  }

  /**
   * Creates an index, or a data stream when its template asks for one, with the template's mappings under `extra`
   * and the template's aliases with `aliases` (the request's) over them.
   */
  create(name: string, extra: FieldMapping = {}, aliases: Record<string, unknown> = {}): IndexState {
    validateIndexName(name);
    if (this.aliasMembers(name).length > 0)
      throw new EsError(400, 'invalid_index_name_exception', `Invalid index name [${name}], already exists as alias`, { index_uuid: '_na_', index: name });
    const { templateName, template, dataStream, mappings } = this.simulate(name, extra);
    // A template's alias may name the index it is applied to as {index}.
    const fromTemplate = Object.entries((template?.template?.aliases ?? {}) as Record<string, unknown>).map(
      ([a, v]) => [a.replaceAll('{index}', name), v] as const,
    );
    if (aliases === null || typeof aliases !== 'object' || Array.isArray(aliases))
      throw new EsError(400, 'x_content_parse_exception', '[1:1] [aliases] must be an object of alias names to their definitions');
    const wanted = new Map<string, AliasProps>();
    for (const [alias, spec] of [...fromTemplate, ...Object.entries(aliases)]) {
      validateAliasName(alias);
      if (alias === name || this.indices.has(alias)) throw aliasNamesAnIndex(alias);
      wanted.set(alias, parseAliasProps(alias, spec));
    }
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '.');
    const state: IndexState = {
      name,
      backingIndex: dataStream ? `.ds-${name}-${day}-000001` : name,
      dataStream,
      template: templateName,
      uuid: randomBytes(16).toString('base64url').slice(0, 22),
      creationDate: Date.now(),
      mappings,
      aliases: wanted,
      docs: new Map(),
      tombstones: new Map(),
      seqNo: 0,
    };
    for (const alias of wanted.keys()) checkWriteIndices(alias, [...this.aliasMembers(alias), state]);
    this.indices.set(name, state);
    return state;
  }

  /** The indices an alias points to, in creation order. */
  aliasMembers(alias: string): IndexState[] {
    return [...this.indices.values()].filter((s) => s.aliases.has(alias));
  }

  /**
   * The index a write addressed to `name` goes to: the index or data stream of that name, or an alias's write
   * index (refused when it has none); undefined when nothing has the name, so the write may create the index.
   */
  writeTarget(name: string): IndexState | undefined {
    const direct = this.indices.get(name) ?? [...this.indices.values()].find((s) => s.backingIndex === name);
    if (direct) return direct;
    const members = this.aliasMembers(name);
    return members.length > 0 ? writeIndexOf(name, members) : undefined;
  }

  /** Existing indices and data streams an expression names: names, backing index names, aliases, a comma list, * globs, _all, -exclusions. */
  resolve(expression: string): IndexState[] {
    return resolveExpression(this.indices.values(), expression).states;
  }

  /** The plain names of an expression that name nothing (wildcards never do: they may match nothing). */
  missing(expression: string): string[] {
    return resolveExpression(this.indices.values(), expression).missing;
  }

  static newId(): string {
    return randomBytes(15).toString('base64url').slice(0, 20);
  }
}
