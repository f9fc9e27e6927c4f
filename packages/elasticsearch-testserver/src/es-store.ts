import { randomBytes } from 'node:crypto';
import type { FieldMapping } from './es-mappings.js';

export interface StoredDoc {
  _id: string;
  _source: Record<string, unknown>;
  _version: number;
  _seq_no: number;
}

/** An index, or a data stream with its one backing index. */
export interface IndexState {
  name: string;
  /** The index documents are stored in: the name, or `.ds-<name>-<date>-000001` for a data stream. */
  backingIndex: string;
  dataStream: boolean;
  mappings: FieldMapping;
  docs: Map<string, StoredDoc>;
  seqNo: number;
}

export interface IndexTemplate {
  index_patterns: string | string[];
  priority?: number;
  data_stream?: Record<string, unknown>;
  template?: { mappings?: FieldMapping; settings?: unknown };
  [key: string]: unknown;
}

const glob = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

/** Indices, data streams and templates, kept in memory so tests can compare what arrived with what was sent. */
export class Store {
  readonly indices = new Map<string, IndexState>();
  readonly templates = new Map<string, IndexTemplate>();

  /** The template Elasticsearch would apply to a new index of this name: the matching one of highest priority. */
  templateFor(name: string): IndexTemplate | undefined {
    let best: IndexTemplate | undefined;
    for (const template of this.templates.values()) {
      const patterns = Array.isArray(template.index_patterns) ? template.index_patterns : [template.index_patterns];
      if (!patterns.some((p) => glob(p).test(name))) continue;
      if (!best || (template.priority ?? 0) > (best.priority ?? 0)) best = template;
    }
    return best;
  }

  /** The index a write goes to, created on first use with its template's mappings, as auto-create does. */
  indexForWrite(name: string): IndexState {
    const existing = this.indices.get(name);
    if (existing) return existing;
    const template = this.templateFor(name);
    const dataStream = template?.data_stream !== undefined;
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '.');
    const state: IndexState = {
      name,
      backingIndex: dataStream ? `.ds-${name}-${day}-000001` : name,
      dataStream,
      mappings: structuredClone(template?.template?.mappings ?? {}),
      docs: new Map(),
      seqNo: 0,
    };
    if (dataStream) {
      state.mappings.properties ??= {};
      state.mappings.properties['@timestamp'] ??= { type: 'date' };
    }
    this.indices.set(name, state);
    return state;
  }

  /** Existing indices matching an expression: a name, a comma list, or * globs. */
  resolve(expression: string): IndexState[] {
    const out = new Set<IndexState>();
    for (const part of expression.split(',')) {
      if (part === '_all' || part.includes('*')) {
        const re = glob(part === '_all' ? '*' : part);
        for (const state of this.indices.values()) if (re.test(state.name)) out.add(state);
      } else {
        const state = this.indices.get(part) ?? [...this.indices.values()].find((s) => s.backingIndex === part);
        if (state) out.add(state);
      }
    }
    return [...out];
  }

  static newId(): string {
    return randomBytes(15).toString('base64url').slice(0, 20);
  }
}
