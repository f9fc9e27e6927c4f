import type { RawImage } from './data.js';

/** A QQL filter the simulator could not understand; the server answers 400 with this message. */
export class QqlError extends Error {}

export type Predicate = (image: RawImage) => boolean;

/** Lower/upper bounds on one numeric field found at the top level of an AND, used to skip into a sorted index. */
export interface Bounds {
  min?: number;
  minInclusive?: boolean;
  max?: number;
  maxInclusive?: boolean;
}

export interface ParsedFilter {
  test: Predicate;
  bounds: Map<string, Bounds>;
}

type Node =
  | { kind: 'and' | 'or'; items: Node[] }
  | { kind: 'not'; item: Node }
  | { kind: 'term'; field: string; test: (v: unknown) => boolean; bound?: Bounds };

const DATE_FIELDS: Record<string, (i: RawImage) => unknown> = {
  created: (i) => i.created,
  updated: (i) => i.updated,
  lastScanned: (i) => i.lastVmScanDate,
  imagesInUse: (i) => i.lastUsedDate,
};
const NUMBER_FIELDS: Record<string, (i: RawImage) => unknown> = { riskScore: (i) => i.riskScore };
const STRING_FIELDS: Record<string, (i: RawImage) => unknown[]> = {
  sha: (i) => [i.sha],
  imageId: (i) => [i.imageId],
  uuid: (i) => [i.uuid],
  'repo.registry': (i) => i.repo.map((r) => r.registry),
  'repo.repository': (i) => i.repo.map((r) => r.repository),
  'repo.tag': (i) => i.repo.map((r) => r.tag),
  qdsSeverity: (i) => [i.qdsSeverity],
  scanStatus: (i) => [i.scanStatus],
  source: (i) => i.source,
  operatingSystem: (i) => [i['operatingSystem']],
};
const KNOWN_FIELDS = [...Object.keys(DATE_FIELDS), ...Object.keys(NUMBER_FIELDS), ...Object.keys(STRING_FIELDS), 'vulnerabilities.severity'];

export function parseQql(text: string, now = Date.now()): ParsedFilter {
  const parser = new Parser(text, now);
  const node = parser.parseExpression();
  parser.expectEnd();
  const bounds = new Map<string, Bounds>();
  const collect = (n: Node) => {
    if (n.kind === 'term' && n.bound) {
      const b = bounds.get(n.field) ?? {};
      if (n.bound.min !== undefined && (b.min === undefined || n.bound.min > b.min)) Object.assign(b, { min: n.bound.min, minInclusive: n.bound.minInclusive });
      if (n.bound.max !== undefined && (b.max === undefined || n.bound.max < b.max)) Object.assign(b, { max: n.bound.max, maxInclusive: n.bound.maxInclusive });
      bounds.set(n.field, b);
    } else if (n.kind === 'and') n.items.forEach(collect);
  };
  collect(node);
  return { test: compile(node), bounds };
}

function compile(node: Node): Predicate {
  switch (node.kind) {
    case 'and': {
      const parts = node.items.map(compile);
      return (i) => parts.every((p) => p(i));
    }
    case 'or': {
      const parts = node.items.map(compile);
      return (i) => parts.some((p) => p(i));
    }
    case 'not': {
      const inner = compile(node.item);
      return (i) => !inner(i);
    }
    case 'term': {
      const read = accessor(node.field);
      return (i) => read(i).some(node.test);
    }
  }
}

function accessor(field: string): (i: RawImage) => unknown[] {
  const date = DATE_FIELDS[field] ?? NUMBER_FIELDS[field];
  if (date) return (i) => [date(i)];
  const str = STRING_FIELDS[field];
  if (str) return str;
  // vulnerabilities.severity:N matches images with at least one finding of severity N
  return (i) => [1, 2, 3, 4, 5].filter((s) => (i.vulnerabilities?.[`severity${s}Count`] ?? 0) > 0);
}

class Parser {
  private pos = 0;
  constructor(private readonly text: string, private readonly now: number) {}

  parseExpression(): Node {
    const items = [this.parseAnd()];
    while (this.keyword('or')) items.push(this.parseAnd());
    return items.length === 1 ? (items[0] as Node) : { kind: 'or', items };
  }

  expectEnd(): void {
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(`unexpected "${this.text.slice(this.pos, this.pos + 20)}"`);
  }

  private parseAnd(): Node {
    const items = [this.parseNot()];
    while (this.keyword('and')) items.push(this.parseNot());
    return items.length === 1 ? (items[0] as Node) : { kind: 'and', items };
  }

  private parseNot(): Node {
    if (this.keyword('not')) return { kind: 'not', item: this.parseNot() };
    this.skipSpace();
    if (this.text[this.pos] === '(') {
      this.pos++;
      const inner = this.parseExpression();
      this.skipSpace();
      if (this.text[this.pos] !== ')') this.fail('missing ")"');
      this.pos++;
      return inner;
    }
    return this.parseTerm();
  }

  private parseTerm(): Node {
    this.skipSpace();
    const m = /^[A-Za-z][A-Za-z0-9_.]*/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected a field name at "${this.text.slice(this.pos, this.pos + 20)}"`);
    const field = (m as RegExpExecArray)[0];
    this.pos += field.length;
    if (!KNOWN_FIELDS.includes(field)) throw new QqlError(`Invalid filter: unknown token "${field}"`);
    this.skipSpace();
    const op = /^(>=|<=|>|<|:)/.exec(this.text.slice(this.pos))?.[0];
    if (!op) this.fail(`expected ":" or a comparison after ${field}`);
    this.pos += (op as string).length;
    this.skipSpace();
    if (op !== ':') {
      const n = this.number(field, this.word());
      const cmp = op as '>=' | '<=' | '>' | '<';
      const bound: Bounds = cmp[0] === '>' ? { min: n, minInclusive: cmp === '>=' } : { max: n, maxInclusive: cmp === '<=' };
      return { kind: 'term', field, bound, test: (v) => compareWith(this.numeric(field, v), cmp, n) };
    }
    return this.parseValue(field);
  }

  private parseValue(field: string): Node {
    const c = this.text[this.pos];
    if (c === "'") {
      // single quotes wrap a whole value, as in the docs' imagesInUse:'[now-7d ... now]'
      const end = this.text.indexOf("'", this.pos + 1);
      if (end < 0) this.fail('unterminated quote');
      const inner = new Parser(this.text.slice(this.pos + 1, end), this.now);
      const node = inner.parseValue(field);
      inner.expectEnd();
      this.pos = end + 1;
      return node;
    }
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      const end = this.text.indexOf(close, this.pos);
      if (end < 0) this.fail(`missing "${close}"`);
      const body = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      const range = /^\s*(.+?)\s*\.{2,3}\s*(.+?)\s*$/.exec(body);
      if (range) {
        const lo = this.number(field, unquote(range[1] as string));
        const hi = this.number(field, unquote(range[2] as string));
        const inclusive = c === '[';
        return {
          kind: 'term',
          field,
          bound: { min: lo, minInclusive: inclusive, max: hi, maxInclusive: inclusive },
          test: (v) => {
            const n = this.numeric(field, v);
            return n !== undefined && (inclusive ? n >= lo && n <= hi : n > lo && n < hi);
          },
        };
      }
      if (c === '(') this.fail('a list uses [ ], a range (a ... b)');
      const values = body.split(',').map((s) => unquote(s.trim())).filter((s) => s !== '');
      return this.equalsAny(field, values, false);
    }
    if (c === '"' || c === '`') {
      const end = this.text.indexOf(c, this.pos + 1);
      if (end < 0) this.fail('unterminated quote');
      const value = this.text.slice(this.pos + 1, end);
      this.pos = end + 1;
      return this.equalsAny(field, [value], c === '`');
    }
    return this.equalsAny(field, [this.word()], false);
  }

  private equalsAny(field: string, values: string[], exact: boolean): Node {
    if (DATE_FIELDS[field] || NUMBER_FIELDS[field] || field === 'vulnerabilities.severity') {
      const nums = values.map((v) => this.number(field, v));
      return { kind: 'term', field, test: (v) => nums.includes(this.numeric(field, v) ?? NaN) };
    }
    const wanted = exact ? values : values.map((v) => v.toLowerCase());
    return { kind: 'term', field, test: (v) => typeof v === 'string' && wanted.includes(exact ? v : v.toLowerCase()) };
  }

  private number(field: string, raw: string): number {
    const relative = /^now(?:-(\d+)([dhms]))?$/.exec(raw);
    if (relative && DATE_FIELDS[field]) {
      const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[(relative[2] ?? 's') as 'd' | 'h' | 'm' | 's'];
      return this.now - Number(relative[1] ?? 0) * unit;
    }
    if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
    if (DATE_FIELDS[field] && /^\d{4}-\d{2}-\d{2}/.test(raw) && !Number.isNaN(Date.parse(raw))) return Date.parse(raw);
    throw new QqlError(`Invalid filter: "${raw}" is not a valid value for ${field}`);
  }

  private numeric(_field: string, v: unknown): number | undefined {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
    return Number.isFinite(n) ? n : undefined;
  }

  private word(): string {
    const m = /^[^\s()[\],]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected a value at "${this.text.slice(this.pos, this.pos + 20)}"`);
    this.pos += (m as RegExpExecArray)[0].length;
    return unquote((m as RegExpExecArray)[0]);
  }

  private keyword(word: string): boolean {
    this.skipSpace();
    const re = new RegExp(`^${word}(?=[\\s(])`, 'i');
    if (!re.test(this.text.slice(this.pos))) return false;
    this.pos += word.length;
    return true;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }

  private fail(message: string): never {
    throw new QqlError(`Invalid filter: ${message}`);
  }
}

function compareWith(n: number | undefined, op: '>=' | '<=' | '>' | '<', bound: number): boolean {
  if (n === undefined) return false;
  return op === '>=' ? n >= bound : op === '<=' ? n <= bound : op === '>' ? n > bound : n < bound;
}

function unquote(s: string): string {
  return /^(["'`]).*\1$/.test(s) ? s.slice(1, -1) : s;
}
