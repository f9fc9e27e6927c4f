import { CONTAINER_FINDING_SHAPE, CONTAINER_SHAPE, DEFAULT_COLUMNS, FINDING_SHAPE, PACKAGE_SHAPE, SOFTWARE_SHAPE } from '@qcs-export/core/sink';

/**
 * How wide a data sheet's columns are and which of them print, so that a printed page is readable: at least
 * MIN_PRINT_SCALE of full size on Letter or A4 landscape, the narrower of which, Letter, is what the sums use.
 *
 * Excel stores a column's width in characters of Calibri 11's widest digit, 7 px at 96 dpi; a sheet that fits to one
 * page wide prints at (printable width) / (sum of its columns' pixels), at most 100%.
 */

/** Letter landscape, 11 in, less PRINT_MARGINS' 0.5 in each side. A4 landscape (11.69 in) leaves 10.69 in. */
export const LETTER_PRINTABLE_INCHES = 10;
export const A4_PRINTABLE_INCHES = 10.69;
export const PRINT_MARGINS = { left: 0.5, right: 0.5, top: 0.75, bottom: 0.75, header: 0.3, footer: 0.3 };
/** The smallest scale a page may print at: 11 pt cells at 65% are 7.2 pt type. */
export const MIN_PRINT_SCALE = 0.65;
/**
 * The scale the widths aim for by Excel's arithmetic (columnPixels). LibreOffice prints the same columns 6-11% wider
 * (measured with scripts/render-workbook.mjs: 72% where Excel's sum gives 76%, 64% for 70%), so the aim is well above
 * MIN_PRINT_SCALE, and a fit is accepted down to FIT_SCALE.
 */
export const TARGET_PRINT_SCALE = 0.75;
export const FIT_SCALE = 0.72;
/** Used when even the narrowest widths of a user's columns will not fit one page wide at FIT_SCALE. */
export const PAGES_ACROSS_SCALE = 70;

export const MIN_WIDTH = 8;
/** Wide enough for a whole 64-character sha; longer text wraps into view when a cell is selected. */
export const MAX_WIDTH = 70;
/** A text column in the print area is not made narrower than this to fit (unless its values are all shorter). */
const TEXT_FLOOR = 12;

/** The leading default columns, through `last`: core orders the defaults so that what a printed page needs comes first. */
const leading = (defaults: readonly string[], last: string) => defaults.slice(0, defaults.indexOf(last) + 1);

/** Default columns that lead the page; the print area is the leading run of a sheet's columns that are in this set. */
export const IMAGE_PRINT_KEYS: ReadonlySet<string> = new Set(leading(DEFAULT_COLUMNS, 'lastScanned'));
/** The same for findings: through the fixed version, at the packages grain through the package's version, and Change. */
export const FINDING_PRINT_KEYS: ReadonlySet<string> = new Set([
  ...leading(FINDING_SHAPE.defaults, 'fixedVersion'),
  ...leading(PACKAGE_SHAPE.defaults, 'packageVersion'),
  // In the defaults of a compared run only, after the severity label (grain.ts).
  'change',
]);
/** Containers: which container, where it runs, what it runs, and its severity counts. */
export const CONTAINER_PRINT_KEYS: ReadonlySet<string> = new Set(leading(CONTAINER_SHAPE.defaults, 'vulnerabilityCounts.total'));
/** Container findings: the container and where it runs, then the finding through its SLA status and days overdue. */
export const CONTAINER_FINDING_PRINT_KEYS: ReadonlySet<string> = new Set(leading(CONTAINER_FINDING_SHAPE.defaults, 'daysOverdue'));
/** Software: the image, the package, its lifecycle and whether it is past its end of life or support. */
export const SOFTWARE_PRINT_KEYS: ReadonlySet<string> = new Set(leading(SOFTWARE_SHAPE.defaults, 'pastEndOfSupport'));

/** Pixels of a column `width` characters wide at 96 dpi, as Excel rounds them. */
export const columnPixels = (width: number): number => Math.trunc(((256 * width + Math.trunc(128 / 7)) / 256) * 7);

/** The scale a fit to one page wide gives these columns on a page `inches` wide: at most 1, Excel does not enlarge. */
export function fitScale(widths: readonly number[], inches: number): number {
  const pixels = widths.reduce((sum, w) => sum + columnPixels(w), 0);
  return Math.min(1, (inches * 96) / pixels);
}

export interface PrintColumn {
  header: string;
  type: string;
  /** The widest value seen, in characters plus a little padding; 0 when none were seen. */
  valueWidth: number;
}

export interface PrintLayout {
  /** Every column's width, printed or not. */
  widths: number[];
  /** The leading columns that print: A to this column. */
  printColumns: number;
  /** Fit the print area to one page wide, or print at this fixed scale (percent), pages across and down. */
  fit: { toWidth: true } | { toWidth: false; scale: number };
  /** Header-row lines the widest wrapped header needs. */
  headerLines: number;
}

const longestWord = (text: string) => Math.max(...text.split(/\s+/).map((w) => w.length));
// exceljs leaves a column of width 9 out of <cols> (its default), and Excel then shows 8.43: 10 instead.
const clamp = (w: number) => {
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, w));
  return width === 9 ? 10 : width;
};

/**
 * Lines `text` wraps into in a column `width` characters wide: its own line breaks, then by words, a word longer than
 * a line taking as many as it needs. Counted with two characters to spare, since letters are not all as narrow as a
 * digit and a bold one is wider: a row a little too tall is better than one printed over the next.
 */
export function wrappedLines(text: string, width: number): number {
  const room = Math.max(1, Math.floor(width) - 2);
  let lines = 0;
  for (const paragraph of text.split('\n')) {
    let used = 0;
    lines += 1;
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      const need = used === 0 ? word.length : used + 1 + word.length;
      if (need <= room) used = need;
      else {
        if (used > 0) lines += 1;
        lines += Math.ceil(word.length / room) - 1;
        used = word.length % room || room;
      }
    }
  }
  return lines;
}

/** Widths of `columns` so that no width is above `cap` unless its floor is: the largest such cap under `budget` pixels. */
function fill(wants: readonly number[], floors: readonly number[], budget: number): number[] | undefined {
  const at = (cap: number) => wants.map((want, i) => clamp(Math.max(floors[i] as number, Math.min(want, cap))));
  const total = (widths: number[]) => widths.reduce((sum, w) => sum + columnPixels(w), 0);
  if (total(at(0)) > budget) return undefined;
  let cap = MAX_WIDTH;
  while (cap > 0 && total(at(cap)) > budget) cap -= 1;
  return at(cap);
}

/**
 * The layout of a sheet's columns. `printKeys` names the default columns that print (the leading run of them is the
 * print area); without it, the user chose the columns and all of them print. Printed columns wrap their header
 * instead of being as wide as it, and the widest printed columns are narrowed until the area fits one page wide at
 * TARGET_PRINT_SCALE (or, failing that, FIT_SCALE). A user's columns that cannot fit even so keep their
 * widths and print at PAGES_ACROSS_SCALE, as many pages across as they need.
 */
export function planPrint(columns: readonly (PrintColumn & { key: string })[], printKeys?: ReadonlySet<string>): PrintLayout {
  const screen = columns.map((c) => clamp(Math.max(c.header.length + 3, c.valueWidth)));
  let printColumns = columns.length;
  if (printKeys) {
    const firstOther = columns.findIndex((c) => !printKeys.has(c.key));
    if (firstOther > 0) printColumns = firstOther;
  }
  const printed = columns.slice(0, printColumns);
  const wants = printed.map((c) => clamp(Math.max(longestWord(c.header) + 2, c.valueWidth)));
  // Numbers and dates show #### when cut, so only text gives way.
  const floors = printed.map((c, i) =>
    c.type === 'string' ? Math.min(wants[i] as number, Math.max(TEXT_FLOOR, longestWord(c.header) + 2)) : (wants[i] as number),
  );
  const budget = (scale: number) => (LETTER_PRINTABLE_INCHES * 96) / scale;
  const fitted = fill(wants, floors, budget(TARGET_PRINT_SCALE)) ?? fill(wants, floors, budget(FIT_SCALE));
  if (!fitted) return { widths: screen, printColumns, fit: { toWidth: false, scale: PAGES_ACROSS_SCALE }, headerLines: 1 };
  const widths = [...fitted, ...screen.slice(printColumns)];
  const headerLines = Math.max(1, ...printed.map((c, i) => wrappedLines(c.header, widths[i] as number)));
  return { widths, printColumns, fit: { toWidth: true }, headerLines };
}
