/**
 * Bounds on a config's text, checked before the YAML parser sees it. The `yaml` parser recurses once per level of
 * nesting and, past a few thousand levels, spends seconds and then hundreds of megabytes building the error's
 * context (100,000 nested `[` ends in a fatal out-of-memory, which no try/catch can turn into a message). A
 * qcs-export config is a handful of levels deep and a few kilobytes long, so anything far beyond that is refused
 * as a config error before parsing.
 */

/** Far above any real config (the examples are under 10 KiB), far below what makes the parser struggle. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** The deepest config in examples/ nests 5 levels; 64 leaves room for any hand-written YAML. */
export const MAX_CONFIG_DEPTH = 64;

/** Characters after which a quote opens a quoted scalar (or at the start of a line); elsewhere it is part of plain text. */
const NODE_START = new Set(['', '[', '{', ',', ':', '-', '?']);
/** Block indicators that nest on one line: `- - - x` is a list in a list in a list. */
const COMPACT_INDICATORS = /^[ \t]*((?:[-?:][ \t]+)+)/;

/**
 * Whether the text nests deeper than `limit`, approximately and in one linear pass: flow brackets outside quoted
 * scalars and comments (carried across lines), plus the compact block indicators that open a line. It errs towards
 * counting more, never fewer: a quote opens a quoted scalar only where YAML would start a node, and only until the
 * end of its line, so no quote, block scalar or comment it misreads can hide a bracket the parser would nest.
 * Returns the 1-based line where the depth first passes `limit`, or undefined.
 */
export function lineTooDeep(text: string, limit = MAX_CONFIG_DEPTH): number | undefined {
  let flow = 0;
  for (const [index, line] of text.split('\n').entries()) {
    const compact = COMPACT_INDICATORS.exec(line)?.[1]?.match(/[-?:]/g)?.length ?? 0;
    if (flow + compact > limit) return index + 1;
    let quote: '"' | "'" | undefined;
    let previous = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i] as string;
      if (quote === "'") {
        if (c === "'" && line[i + 1] === "'") i++;
        else if (c === "'") quote = undefined;
        continue;
      }
      if (quote === '"') {
        if (c === '\\') i++;
        else if (c === '"') quote = undefined;
        continue;
      }
      const before = i === 0 ? ' ' : (line[i - 1] as string);
      if (c === '#' && (before === ' ' || before === '\t')) break;
      if ((c === '"' || c === "'") && ' \t[{,'.includes(before) && NODE_START.has(previous)) quote = c;
      else if (c === '[' || c === '{') {
        if (++flow + compact > limit) return index + 1;
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
      if (c !== ' ' && c !== '\t') previous = c;
    }
  }
  return undefined;
}
