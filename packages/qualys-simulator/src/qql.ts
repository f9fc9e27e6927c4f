import type { RawImage } from './data.js';

/** A QQL filter the simulator could not understand; the server answers 400 with this message. */
export class QqlError extends Error {}

export type Predicate<T = RawImage> = (record: T) => boolean;

/** Lower/upper bounds on one numeric field found at the top level of an AND, used to skip into a sorted index. */
export interface Bounds {
  min?: number;
  minInclusive?: boolean;
  max?: number;
  maxInclusive?: boolean;
}

/** Syntax a filter used, so a server dialect can refuse what it does not support. */
export type QqlConstruct = 'compare' | 'bracket-range' | 'not';

/** How a server reads a filter; each flag reproduces a plausible real server's reading. Default: all off. */
export interface QqlOptions {
  /** Numeric values compared with date fields (in compare and range forms) are epoch seconds: multiplied by 1000. */
  epochSeconds?: boolean;
  /** `not uuid: [...]` is accepted and excludes nothing. */
  ignoreNotUuid?: boolean;
  /** Two or more range terms on date fields in the top-level AND make every such bound exclusive. */
  exclusiveCombinedRanges?: boolean;
}

export interface ParsedFilter<T = RawImage> {
  test: Predicate<T>;
  bounds: Map<string, Bounds>;
  /** The constructs the text used. */
  constructs: ReadonlySet<QqlConstruct>;
  /** Uuids named by `not uuid: ...` terms of the top-level AND (what a keyset cursor excludes). */
  excludedUuids: string[];
}

type Term = { kind: 'term'; field: string; test: (v: unknown) => boolean; bound?: Bounds; values?: string[] };
type Node = { kind: 'and' | 'or'; items: Node[] } | { kind: 'not'; item: Node } | Term;

/**
 * One field a filter can name: how its values compare ("date": epoch ms, relative `now-7d` and ISO dates, rescaled
 * by an epoch-seconds server; "number"; "string": case-insensitive unless in backquotes) and how to read it from a
 * record (several values when the field is a list; a term matches when any value does).
 */
export interface QqlField<T> {
  kind: 'date' | 'number' | 'string';
  read: (record: T) => unknown[];
}

/** The fields a resource's filters can name. */
export type QqlFields<T> = Readonly<Record<string, QqlField<T>>>;

const date = <T>(read: (r: T) => unknown): QqlField<T> => ({ kind: 'date', read: (r) => [read(r)] });
const number = <T>(read: (r: T) => unknown): QqlField<T> => ({ kind: 'number', read: (r) => [read(r)] });
const strings = <T>(read: (r: T) => unknown[]): QqlField<T> => ({ kind: 'string', read });
const string = <T>(read: (r: T) => unknown): QqlField<T> => strings((r) => [read(r)]);

/** `vulnerabilities.severity:N` matches records with at least one finding of severity N (by their counts object). */
export function severityField<T>(counts: (r: T) => Record<string, number | null> | null): QqlField<T> {
  return { kind: 'number', read: (r) => [1, 2, 3, 4, 5].filter((s) => (counts(r)?.[`severity${s}Count`] ?? 0) > 0) };
}

/** The fields /images and /images/list filters can name. */
export const IMAGE_FIELDS: QqlFields<RawImage> = {
  created: date((i) => i.created),
  updated: date((i) => i.updated),
  lastScanned: date((i) => i.lastVmScanDate),
  imagesInUse: date((i) => i.lastUsedDate),
  riskScore: number((i) => i.riskScore),
  sha: string((i) => i.sha),
  imageId: string((i) => i.imageId),
  uuid: string((i) => i.uuid),
  'repo.registry': strings((i) => i.repo.map((r) => r.registry)),
  'repo.repository': strings((i) => i.repo.map((r) => r.repository)),
  'repo.tag': strings((i) => i.repo.map((r) => r.tag)),
  qdsSeverity: string((i) => i.qdsSeverity),
  scanStatus: string((i) => i.scanStatus),
  source: strings((i) => i.source),
  operatingSystem: string((i) => i['operatingSystem']),
  'vulnerabilities.severity': severityField((i) => i.vulnerabilities),
};

/** The field helpers, for other resources' tables. */
export const qqlField = { date, number, string, strings };

/** Reads a filter over one resource's fields (the image fields unless told). */
export function parseQql<T = RawImage>(
  text: string,
  now = Date.now(),
  options: QqlOptions = {},
  fields: QqlFields<T> = IMAGE_FIELDS as unknown as QqlFields<T>,
): ParsedFilter<T> {
  const constructs = new Set<QqlConstruct>();
  const parser = new Parser(text, now, options, constructs, fields as QqlFields<unknown>);
  let node = parser.parseExpression();
  parser.expectEnd();
  if (options.exclusiveCombinedRanges) node = exclusiveCombinedRanges(node, fields as QqlFields<unknown>);
  const bounds = new Map<string, Bounds>();
  const excludedUuids: string[] = [];
  for (const n of topLevelAnd(node)) {
    if (n.kind === 'term' && n.bound) mergeBound(bounds, n.field, n.bound);
    else if (n.kind === 'not' && n.item.kind === 'term' && n.item.field === 'uuid') excludedUuids.push(...(n.item.values ?? []));
  }
  return { test: compile(node, options, fields), bounds, constructs, excludedUuids };
}

/** Both filters at once (an AND), e.g. a client's filter and the server's own cursor read under different rules. */
export function combineFilters<T = RawImage>(...filters: Array<ParsedFilter<T> | undefined>): ParsedFilter<T> | undefined {
  const present = filters.filter((f): f is ParsedFilter<T> => f !== undefined);
  if (present.length <= 1) return present[0];
  const bounds = new Map<string, Bounds>();
  for (const f of present) for (const [field, b] of f.bounds) mergeBound(bounds, field, b);
  return {
    test: (i) => present.every((f) => f.test(i)),
    bounds,
    constructs: new Set(present.flatMap((f) => [...f.constructs])),
    excludedUuids: present.flatMap((f) => f.excludedUuids),
  };
}

/** Keeps the tighter of each bound, as an AND of both ranges would. */
function mergeBound(bounds: Map<string, Bounds>, field: string, bound: Bounds): void {
  const b = bounds.get(field) ?? {};
  if (bound.min !== undefined && (b.min === undefined || bound.min > b.min || (bound.min === b.min && !bound.minInclusive)))
    Object.assign(b, { min: bound.min, minInclusive: bound.minInclusive });
  if (bound.max !== undefined && (b.max === undefined || bound.max < b.max || (bound.max === b.max && !bound.maxInclusive)))
    Object.assign(b, { max: bound.max, maxInclusive: bound.maxInclusive });
  bounds.set(field, b);
}

/** The items of the top-level AND, nested ANDs flattened (a lone term is an AND of one). */
function topLevelAnd(node: Node): Node[] {
  return node.kind === 'and' ? node.items.flatMap(topLevelAnd) : [node];
}

/** A server that over-filters combined ranges: with two or more date ranges ANDed, every bound turns exclusive. */
function exclusiveCombinedRanges(node: Node, fields: QqlFields<unknown>): Node {
  const isDateRange = (n: Node): n is Term & { bound: Bounds } => n.kind === 'term' && n.bound !== undefined && fields[n.field]?.kind === 'date';
  const items = topLevelAnd(node);
  if (items.filter(isDateRange).length < 2) return node;
  return { kind: 'and', items: items.map((n) => (isDateRange(n) ? rangeTerm(n.field, { ...n.bound, minInclusive: false, maxInclusive: false }) : n)) };
}

function rangeTerm(field: string, bound: Bounds): Term {
  return { kind: 'term', field, bound, test: (v) => withinBounds(numericValue(v), bound) };
}

function withinBounds(n: number | undefined, b: Bounds): boolean {
  if (n === undefined) return false;
  if (b.min !== undefined && (b.minInclusive ? n < b.min : n <= b.min)) return false;
  if (b.max !== undefined && (b.maxInclusive ? n > b.max : n >= b.max)) return false;
  return true;
}

function numericValue(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function compile<T>(node: Node, options: QqlOptions, fields: QqlFields<T>): Predicate<T> {
  switch (node.kind) {
    case 'and': {
      const parts = node.items.map((n) => compile(n, options, fields));
      return (i) => parts.every((p) => p(i));
    }
    case 'or': {
      const parts = node.items.map((n) => compile(n, options, fields));
      return (i) => parts.some((p) => p(i));
    }
    case 'not': {
      // A server that accepts the exclusion list but never applies it: the term keeps every record.
      if (options.ignoreNotUuid && node.item.kind === 'term' && node.item.field === 'uuid') return () => true;
      const inner = compile(node.item, options, fields);
      return (i) => !inner(i);
    }
    case 'term': {
      const read = (fields[node.field] as QqlField<T>).read;
      return (i) => read(i).some(node.test);
    }
  }
}

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly now: number,
    private readonly options: QqlOptions,
    private readonly constructs: Set<QqlConstruct>,
    private readonly fields: QqlFields<unknown>,
  ) {}

  private kind(field: string): QqlField<unknown>['kind'] | undefined {
    return this.fields[field]?.kind;
  }

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
    if (this.keyword('not')) {
      this.constructs.add('not');
      return { kind: 'not', item: this.parseNot() };
    }
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
    if (this.fields[field] === undefined) throw new QqlError(`Invalid filter: unknown token "${field}"`);
    this.skipSpace();
    const op = /^(>=|<=|>|<|:)/.exec(this.text.slice(this.pos))?.[0];
    if (!op) this.fail(`expected ":" or a comparison after ${field}`);
    this.pos += (op as string).length;
    this.skipSpace();
    if (op !== ':') {
      this.constructs.add('compare');
      const n = this.number(field, this.word(), true);
      const cmp = op as '>=' | '<=' | '>' | '<';
      return rangeTerm(field, cmp[0] === '>' ? { min: n, minInclusive: cmp === '>=' } : { max: n, maxInclusive: cmp === '<=' });
    }
    return this.parseValue(field);
  }

  private parseValue(field: string): Node {
    const c = this.text[this.pos];
    if (c === "'") {
      // single quotes wrap a whole value, as in the docs' imagesInUse:'[now-7d ... now]'
      const end = this.text.indexOf("'", this.pos + 1);
      if (end < 0) this.fail('unterminated quote');
      const inner = new Parser(this.text.slice(this.pos + 1, end), this.now, this.options, this.constructs, this.fields);
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
        this.constructs.add('bracket-range');
        const lo = this.number(field, unquote(range[1] as string), true);
        const hi = this.number(field, unquote(range[2] as string), true);
        const inclusive = c === '[';
        return rangeTerm(field, { min: lo, minInclusive: inclusive, max: hi, maxInclusive: inclusive });
      }
      if (c === '(') this.fail('a list uses [ ], a range (a ... b)');
      const values = body
        .split(',')
        .map((s) => unquote(s.trim()))
        .filter((s) => s !== '');
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
    if (this.kind(field) !== 'string') {
      const nums = values.map((v) => this.number(field, v, false));
      return { kind: 'term', field, values, test: (v) => nums.includes(numericValue(v) ?? NaN) };
    }
    const wanted = exact ? values : values.map((v) => v.toLowerCase());
    return { kind: 'term', field, values, test: (v) => typeof v === 'string' && wanted.includes(exact ? v : v.toLowerCase()) };
  }

  /** `inRange`: the value bounds a compare or range, the only forms an epoch-seconds server rescales. */
  private number(field: string, raw: string, inRange: boolean): number {
    const relative = /^now(?:-(\d+)([dhms]))?$/.exec(raw);
    if (relative && this.kind(field) === 'date') {
      const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[(relative[2] ?? 's') as 'd' | 'h' | 'm' | 's'];
      return this.now - Number(relative[1] ?? 0) * unit;
    }
    if (/^-?\d+(\.\d+)?$/.test(raw)) return inRange && this.options.epochSeconds && this.kind(field) === 'date' ? Number(raw) * 1000 : Number(raw);
    if (this.kind(field) === 'date' && /^\d{4}-\d{2}-\d{2}/.test(raw) && !Number.isNaN(Date.parse(raw))) return Date.parse(raw);
    throw new QqlError(`Invalid filter: "${raw}" is not a valid value for ${field}`);
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

function unquote(s: string): string {
  return /^(["'`]).*\1$/.test(s) ? s.slice(1, -1) : s;
}
